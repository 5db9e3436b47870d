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
while read -r dir name; do
  echo "--- $dir $name"
  go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime"
done <<<"$targets"
echo "all $count fuzz targets ran $fuzztime without a failure"
