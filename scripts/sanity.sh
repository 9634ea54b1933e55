#!/usr/bin/env bash
# ansible-test sanity on the collection as users get it: the tarball that
# `ansible-galaxy collection build` makes, installed into an empty collections path, under
# every ansible-core given (a bin directory each: ansible-galaxy and ansible-test come
# from there). The installed tree is what Galaxy and Automation Hub reviewers test.
#
# ansible-test creates one venv per sanity test without pip and bootstraps pip there with
# a get-pip script it downloads from a host this machine cannot reach. It uses a cached
# copy when ~/.ansible/test/cache/get_pip_<version>.py exists, so we give it a HOME inside
# the checkout (.cache/ansible-test: its venvs are cached there between runs too) and put
# scripts/ansible_test_pip_bootstrap.py at that path: pip from Python's own ensurepip,
# then the exact versions ansible-test asks for, from PyPI.
#
# usage: scripts/sanity.sh BIN_DIR...   (e.g. .venv/bin .venv/core214/bin)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Outside the checkout: inside a git work tree ansible-test only sees files git tracks.
work=$(mktemp -d "${TMPDIR:-/tmp}/keel-ssm-sanity.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Outside the checkout too, so a fresh clone on the same machine reuses the sanity venvs
# (keyed by their requirements); each clone would otherwise install them again.
test_home=${XDG_CACHE_HOME:-$HOME/.cache}/keel-ssm/ansible-test
python=python3.11

run_core() {
    local bin version dest pip_version start
    bin=$(cd "$root" && cd "$1" && pwd)
    version=$("$bin/ansible" --version | sed -n 's/^ansible \[core \([0-9]*\.[0-9]*\).*/\1/p')
    dest=$work/$version
    mkdir -p "$dest/collections" "$test_home/.ansible/test/cache"
    # The pip version this ansible-test bootstraps its venvs with.
    pip_version=$("$bin/python" -c 'import re, ansible_test._internal.python_requirements as r, inspect
print(re.search(r"pip=.([0-9.]+).", inspect.getsource(r.get_venv_packages)).group(1))')
    cp "$root/scripts/ansible_test_pip_bootstrap.py" "$test_home/.ansible/test/cache/get_pip_${pip_version//./_}.py"
    # No ansible.cfg, no Ansible home, no collections path but the empty one.
    (
        cd "$dest"
        : >"$dest/ansible.cfg"
        export ANSIBLE_CONFIG=$dest/ansible.cfg ANSIBLE_HOME=$dest/home ANSIBLE_COLLECTIONS_PATH=$dest/collections
        "$bin/ansible-galaxy" collection build --output-path "$dest" "$root" >/dev/null
        "$bin/ansible-galaxy" collection install --offline -p "$dest/collections" "$dest"/keel-ssm-*.tar.gz >/dev/null
    )
    start=$(date +%s)
    echo "== ansible-test sanity, ansible-core $version (installed tarball: $dest/collections)"
    local status=0
    (cd "$dest/collections/ansible_collections/keel/ssm" &&
        HOME=$test_home "$bin/ansible-test" sanity --python "${python#python}" --color no) || status=1
    echo "== ansible-core $version: sanity took $(($(date +%s) - start)) s"
    return $status
}

# The cores side by side (2 CPUs here; each ansible-test runs its tests one at a time),
# each with its own log, printed whole when it is done.
pids=()
index=0
for bin in "$@"; do
    run_core "$bin" >"$work/log-$index" 2>&1 &
    pids+=($!)
    index=$((index + 1))
done
status=0
for index in "${!pids[@]}"; do
    wait "${pids[$index]}" || status=1
    cat "$work/log-$index"
done
exit $status
