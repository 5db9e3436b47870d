#!/usr/bin/env bash
# Mutation testing (make mutate): gremlins changes the code one operator at a time (arithmetic,
# comparisons, negations, increments) and runs the package's unit tests against each change. A
# change no test notices "lives". Writes one JSON report per package into .data/mutate/ and the
# score table with every survivor into TESTING.md (scripts/mutationreport). Takes about 15 minutes
# on 2 cores; not part of make test. MUTATE_PACKAGES="notify payloadcodec" runs fewer.
set -euo pipefail
cd "$(dirname "$0")/.."
gremlins=${GREMLINS:-bin/gremlins}
packages=${MUTATE_PACKAGES:-vendors policyclient notify payloadcodec workflows}
mkdir -p .data/mutate
for pkg in $packages; do
  echo "--- mutating $pkg/"
  # gremlins runs the package's own tests (none of them needs a dev server); the timeout
  # coefficient gives a slow mutant (a loop bound flipped) room before it counts as timed out.
  "$gremlins" unleash "./$pkg" --workers "${MUTATE_WORKERS:-2}" --timeout-coefficient 10 \
    -o ".data/mutate/$pkg.json" | grep -E '^(Killed|Timed out|Test efficacy|Mutator coverage)|LIVED'
done
go run ./scripts/mutationreport -in .data/mutate -out TESTING.md -packages "$packages"
echo "wrote TESTING.md"
