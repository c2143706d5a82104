#!/usr/bin/env bash
# Runs every fuzz target (Sources/CoalmineFuzzTargets) under libFuzzer with the address sanitizer, each for
# SECONDS (default 60), starting from its committed seeds in Fuzz/corpus/TARGET and Fuzz/regressions/TARGET.
# What the fuzzer learns stays under .build-fuzz/; a crashing input is saved in .build-fuzz/crashes/TARGET/ and
# the run fails. Commit such an input under Fuzz/regressions/TARGET/ with its fix: the unit tests replay it.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
scratch=.build-fuzz

echo "== building the fuzz targets (libFuzzer, address sanitizer)"
mkdir -p "$scratch"
swift build -c release --product CoalmineFuzz --scratch-path "$scratch" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >"$scratch/build.log" 2>&1 \
    || { tail -30 "$scratch/build.log"; exit 1; }
binary="$scratch/release/CoalmineFuzz"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(ls Fuzz/corpus)

failed=0
printf '%-16s %12s %10s %8s %s\n' target executions 'exec/s' crashes seconds
for target in "${targets[@]}"; do
    learned="$scratch/learned/$target"
    crashes="$scratch/crashes/$target"
    mkdir -p "$learned" "$crashes"
    # The committed inputs are read, never written: what the fuzzer learns goes to the first folder only.
    seeds=("Fuzz/corpus/$target")
    [ -d "Fuzz/regressions/$target" ] && seeds+=("Fuzz/regressions/$target")
    log="$scratch/$target.log"
    set +e
    COALMINE_FUZZ_TARGET=$target "$binary" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$crashes/" \
        "$learned" "${seeds[@]}" >"$log" 2>&1
    code=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    found=$(find "$crashes" -type f | wc -l)
    printf '%-16s %12s %10s %8s %s\n' "$target" "${runs:-?}" "${rate:-?}" "$found" "$seconds"
    if [ "$code" -ne 0 ] || [ "$found" -ne 0 ]; then
        failed=1
        grep -m5 -E "Fatal error|ERROR|SUMMARY|Test unit written" "$log" | sed 's/^/    /'
    fi
done
[ "$failed" -eq 0 ] || { echo "fuzz: a target crashed (inputs in $scratch/crashes)"; exit 1; }
