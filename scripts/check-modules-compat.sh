#!/usr/bin/env bash
# Run tests/playbooks/ssm_modules.yml (keel.ssm.document and keel.ssm.association)
# on the oldest stack the collection supports: Python 3.9, ansible-core 2.14 and
# boto3/botocore 1.26/1.29 (Debian 12's python3-boto3), against a moto server.
#
# The stack is installed from PyPI once into build/compat-py39-core214 (needs a
# python3.9, e.g. pyenv's; set PY39 to point at another one). moto runs from the
# project venv: it plays AWS, the stack under test is the client side.
set -euo pipefail
cd "$(dirname "$0")/.."

PY39=${PY39:-$(command -v python3.9 || true)}
if [[ -z $PY39 || ! -x $PY39 ]] || ! "$PY39" --version >/dev/null 2>&1; then
  PY39=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9*/bin/python3.9 2>/dev/null | tail -1 || true)
fi
[[ -n $PY39 && -x $PY39 ]] || { echo "python3.9 not found (set PY39)" >&2; exit 2; }

ANSIBLE_CORE=${ANSIBLE_CORE:-2.14.18}
BOTO3=${BOTO3:-1.26.27}
BOTOCORE=${BOTOCORE:-1.29.27}
VENV=build/compat-py39-core214
if [[ ! -x $VENV/bin/ansible-playbook ]]; then
  "$PY39" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "ansible-core==$ANSIBLE_CORE" "boto3==$BOTO3" "botocore==$BOTOCORE"
fi

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
.venv/bin/python -m moto.server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1 && break
  sleep 0.2
done

"$VENV/bin/python" --version
"$VENV/bin/ansible-playbook" --version | head -1
"$VENV/bin/python" -c 'import boto3, botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)'
secret="keel-compat-secret-$RANDOM$RANDOM"
log=build/compat-py39-core214.log
start=$(date +%s)
set +e
ANSIBLE_CONFIG=$PWD/ansible.cfg AWS_ACCESS_KEY_ID=keel-compat AWS_SECRET_ACCESS_KEY=keel-compat-key \
  KEEL_TEST_SECRET=$secret ANSIBLE_NOCOLOR=1 \
  "$VENV/bin/ansible-playbook" -i localhost, -e "keel_endpoint=http://127.0.0.1:$port" \
  -e "ansible_python_interpreter=$PWD/$VENV/bin/python" --diff -vvv tests/playbooks/ssm_modules.yml >"$log" 2>&1
rc=$?
set -e
echo "ansible-playbook exit $rc in $(($(date +%s) - start)) s (log: $log)"
grep -E '^localhost +:' "$log" || true
if grep -qF "$secret" "$log"; then
  echo "FAILED: the secret parameter appears in the output" >&2
  exit 1
fi
exit $rc
