#!/usr/bin/env bash
# Coalmine's benchmarks on the release build, in one go: webhook ingest beside Alertmanager 0.25's own
# POST /api/v2/alerts (wrk, A B A B), abort alert -> PATCH idle and during a storm of other alerts, a "Roll back"
# link -> PATCH and read-back (against the Kubernetes API double over loopback), one delivery of 1, 100, 800 and
# 10,000 alerts, a restart on a journal of 1,000,000 entries, 1, 1,000 and 10,000 started rollouts, and deadline
# lateness with 10,000 rollouts (`--only ingest|actions|delivery|restart|rollouts|lateness`). Prints one table
# and writes .build/bench/results.json.
# `scripts/bench.sh --smoke [COALMINE DOUBLE]` runs small sizes against given (e.g. debug) binaries: what
# scripts/test.sh does so the benchmarks cannot rot. Figures are not verdicts: nothing fails on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build/bench
if [ "${1:-}" = "--smoke" ]; then
    exec python3 scripts/bench.py "${2:-.build/debug/coalmine}" "${3:-.build/debug/KubernetesAPIDoubleServer}" \
        --smoke --json .build/bench/smoke.json
fi
swift build -c release --product coalmine
swift build -c release --product KubernetesAPIDoubleServer
exec python3 scripts/bench.py .build/release/coalmine .build/release/KubernetesAPIDoubleServer \
    --json .build/bench/results.json "$@"
