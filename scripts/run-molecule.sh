#!/usr/bin/env bash
# Run every molecule scenario (or the ones named after the job count), N at a time.
# Each scenario's log goes to build/molecule/<scenario>.log; a summary with each
# scenario's wall time is printed at the end. Exit status is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=${1:-2}
shift || true
if (($#)); then
  scenarios=("$@")
else
  mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -r -n1 basename | sort)
fi
if ((${#scenarios[@]} == 0)); then
  echo "no molecule scenarios"
  exit 0
fi
mkdir -p build/molecule && rm -f build/molecule/*.result
run_one() {
  local s=$1 start end rc
  start=$(date +%s)
  molecule test -s "$s" >"build/molecule/$s.log" 2>&1
  rc=$?
  end=$(date +%s)
  printf '%s %s %s\n' "$s" "$rc" "$((end - start))" >"build/molecule/$s.result"
  if ((rc == 0)); then echo "molecule $s: passed in $((end - start)) s"; else
    echo "molecule $s: FAILED (rc $rc) in $((end - start)) s; last lines of build/molecule/$s.log:"
    tail -60 "build/molecule/$s.log"
  fi
  return $rc
}
export -f run_one
printf '%s\n' "${scenarios[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}'
status=$?
passed=$(awk '$2 == 0' build/molecule/*.result 2>/dev/null | wc -l)
failed=$(awk '$2 != 0' build/molecule/*.result 2>/dev/null | wc -l)
echo "molecule: $passed passed, $failed failed"
exit $status
