#!/usr/bin/env bash
# Mutation testing (make mutate): gremlins changes the code one operator at a time (arithmetic,
# comparisons, negations, increments) and runs the package's unit tests against each change. A
# change no test notices "lives". Writes one JSON report per package into .data/mutate/ and the
# score table with every survivor into TESTING.md (scripts/mutationreport). Takes about 20 minutes
# on 2 cores; not part of make test. MUTATE_PACKAGES="notify payloadcodec" re-runs only those;
# the table is then written from the reports of all five.
set -euo pipefail
cd "$(dirname "$0")/.."
gremlins=${GREMLINS:-bin/gremlins}
all="vendors policyclient notify payloadcodec workflows"
mkdir -p .data/mutate
# Uncached test runs: gremlins times each mutant against its first (coverage) run, and a cached
# one would make every mutant look slow.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"
for pkg in ${MUTATE_PACKAGES:-$all}; do
  echo "--- mutating $pkg/"
  # gremlins runs the package's own tests (none of them needs a dev server); the timeout
  # coefficient gives a slow mutant (a loop bound flipped) room before it counts as timed out.
  # vendorstest is test support (fakes, schema readers), not product code.
  "$gremlins" unleash "./$pkg" --workers "${MUTATE_WORKERS:-2}" --timeout-coefficient 10 \
    --exclude-files 'vendorstest/' -o ".data/mutate/$pkg.json" |
    grep -E '^(Killed|Timed out|Test efficacy|Mutator coverage)|LIVED'
done
go run ./scripts/mutationreport -in .data/mutate -out TESTING.md -packages "$all"
echo "wrote TESTING.md"
