#!/usr/bin/env bash
# Coalmine's benchmarks on the release build: one delivery of 1, 100, 800 and 10,000 alerts, a restart on a
# journal of 1,000,000 entries, and 1, 1,000 and 10,000 started rollouts (`--only delivery|restart|rollouts`). Prints a table and writes .build/bench/results.json.
# `scripts/bench.sh --smoke [BINARY]` runs small sizes against a given (e.g. debug) binary: what scripts/test.sh
# does so the benchmarks cannot rot. Figures are not verdicts: nothing fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build/bench
if [ "${1:-}" = "--smoke" ]; then
    exec python3 scripts/bench.py "${2:-.build/debug/coalmine}" --smoke --json .build/bench/smoke.json
fi
swift build -c release --product coalmine
exec python3 scripts/bench.py .build/release/coalmine --json .build/bench/results.json "$@"
