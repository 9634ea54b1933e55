#!/usr/bin/env bash
# Run every molecule scenario (or the ones named after the job count), N at a time.
# Each scenario's log goes to build/molecule/<scenario>.log, every line stamped with the
# epoch second it was printed, so each step's time (converge, idempotence, ...) is
# reported with the scenario's wall time. Exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
shift || true
if (($#)); then
  scenarios=("$@")
else
  mapfile -t found < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -r -n1 basename | sort)
  # MOLECULE_EXCLUDE (space-separated names) leaves scenarios out: make test runs `vm`
  # on its own beside everything else.
  read -r -a excluded <<<"${MOLECULE_EXCLUDE:-}"
  # The longest scenarios start first, so two at a time finish together (measured here:
  # vm ~79 min, rehearsal ~23, baseline ~21, each of the others 9-11, in a clean-clone make test).
  scenarios=()
  for s in vm rehearsal baseline "${found[@]}"; do
    [[ " ${found[*]} " == *" $s "* && " ${scenarios[*]} " != *" $s "* && " ${excluded[*]:-} " != *" $s "* ]] && scenarios+=("$s")
  done
fi
if ((${#scenarios[@]} == 0)); then
  echo "no molecule scenarios"
  exit 0
fi
mkdir -p build/molecule
for s in "${scenarios[@]}"; do rm -f "build/molecule/$s.result"; done
stamp() {
  local line
  while IFS= read -r line; do printf '%(%s)T %s\n' -1 "$line"; done
}
# A scenario's log without its colour codes.
plain() { sed 's/\x1b\[[0-9;]*m//g' "$1"; }
# "converge 63 s, idempotence 43 s, ..." from molecule's "➜ <step>: Executing" and
# "➜ <step>: Executed" lines (a step that runs twice is reported twice).
step_times() {
  plain "$1" | awk '
    / ➜ [a-z_]+: Executing$/ { step = $(NF - 1); sub(":", "", step); started = $1 }
    / ➜ [a-z_]+: Executed/ && started { printf "%s%s %d s", sep, step, $1 - started; sep = ", "; started = 0 }'
}
run_one() {
  local s=$1 start end rc
  start=$(date +%s)
  molecule test -s "$s" 2>&1 | stamp >"build/molecule/$s.log"
  rc=${PIPESTATUS[0]}
  end=$(date +%s)
  printf '%s %s %s\n' "$s" "$rc" "$((end - start))" >"build/molecule/$s.result"
  if ((rc == 0)); then echo "molecule $s: passed in $((end - start)) s ($(step_times "build/molecule/$s.log"))"; else
    echo "molecule $s: FAILED (rc $rc) in $((end - start)) s; what failed (build/molecule/$s.log):"
    # pytest's failures and ansible's failed tasks first (molecule may box them in '│ '):
    # the tail alone is molecule's recap
    plain "build/molecule/$s.log" |
      grep -E -A3 '^[0-9]+ (\s*│ )?(E  |FAILED|_{3,} test|fatal: |failed: |ERROR  |.*short test summary)' | head -150
    echo "--- last lines:"
    tail -25 "build/molecule/$s.log"
  fi
  return $rc
}
export -f run_one stamp step_times plain
printf '%s\n' "${scenarios[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
status=$?
# This invocation's scenarios only (another may be running beside it); one that left no
# result did not finish.
results=("${scenarios[@]/#/build/molecule/}")
passed=$(cat "${results[@]/%/.result}" 2>/dev/null | awk '$2 == 0' | wc -l)
failed=$((${#scenarios[@]} - passed))
echo "molecule: $passed passed, $failed failed"
exit $status
