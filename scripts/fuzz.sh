#!/usr/bin/env bash
# Runs every fuzz test of the module (each `func FuzzX(f *testing.F)` in a _test.go file) for
# FUZZTIME each (default 10s), one after the other: `make fuzz` (FUZZTIME=3s in CI).
# Go runs one fuzz target per invocation, hence the loop. A failing input is written by Go
# under the package's testdata/fuzz/ and fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
targets=$(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(' --exclude-dir=.data --exclude-dir=bin . |
  sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)\($#\1 \2#' | sort -u)
[[ -n "$targets" ]] || { echo "no fuzz tests found"; exit 1; }
count=$(wc -l <<<"$targets")
echo "fuzzing $count targets for $fuzztime each"
# Go 1.26's fuzz coordinator can fail a target at the -fuzztime deadline with a bare "context
# deadline exceeded" and no failing input (golang/go#75804, fixed in Go 1.27). That one outcome,
# with no new input written under testdata/fuzz/, is run again once; a real failure writes its
# input there and fails at once.
fuzz_one() {
  local dir=$1 name=$2 out corpus="$1/testdata/fuzz/$2" before
  before=$(ls "$corpus" 2>/dev/null | wc -l)
  if out=$(go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" 2>&1); then
    echo "$out" | tail -n 1
    return 0
  fi
  echo "$out"
  if grep -q 'context deadline exceeded' <<<"$out" && [[ $(ls "$corpus" 2>/dev/null | wc -l) == "$before" ]]; then
    return 75
  fi
  return 1
}
while read -r dir name; do
  echo "--- $dir $name"
  rc=0
  fuzz_one "$dir" "$name" || rc=$?
  if [[ $rc == 75 ]]; then
    echo "(the fuzz coordinator's deadline race, golang/go#75804, no failing input: running $name again)"
    fuzz_one "$dir" "$name"
  elif [[ $rc != 0 ]]; then
    exit "$rc"
  fi
done <<<"$targets"
echo "all $count fuzz targets ran $fuzztime without a failure"
