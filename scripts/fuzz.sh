#!/bin/bash
# Fuzzes bam's parsers of untrusted input (Fuzz/, issue #15): builds the
# fuzz binary with libFuzzer and AddressSanitizer, then runs each target
# for FUZZ_SECONDS (default 600) from its seed corpus in Fuzz/Corpus.
# Fails (exit 1) on any crash, Swift trap, sanitizer report, leak, input
# taking more than 10 seconds (a hang) or more than 2 GiB, and prints the
# reproducer and the command that replays it.
#
#   scripts/fuzz.sh [target...]       every target when none is named
#
# One target runs at a time, on one core. Inputs the fuzzer finds go to a
# corpus under the scratch path (kept between runs, so later runs start
# from what earlier ones reached); the checked-in seeds are never written.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
SCRATCH="${FUZZ_SCRATCH_PATH:-.build-fuzz}"
CONFIGURATION="${FUZZ_CONFIGURATION:-debug}"

swift build --package-path Fuzz --scratch-path "$SCRATCH" -c "$CONFIGURATION" \
    -Xswiftc -sanitize=fuzzer,address
binary="$SCRATCH/$CONFIGURATION/bam-fuzz"

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(ls Fuzz/Corpus)
fi

run="$SCRATCH/runs/$(date -u +%Y%m%dT%H%M%SZ)"
failed=()
for target in "${targets[@]}"; do
    [ -d "Fuzz/Corpus/$target" ] || { echo "fuzz: no seed corpus Fuzz/Corpus/$target" >&2; exit 64; }
    corpus="$SCRATCH/corpus/$target"
    artifacts="$run/$target"
    mkdir -p "$corpus" "$artifacts"
    cp "Fuzz/Corpus/$target"/* "$corpus"/
    log="$artifacts/fuzz.log"
    echo "fuzz: $target for ${FUZZ_SECONDS}s (log: $log)"
    status=0
    # Swift's own backtracer would catch the trap's signal before libFuzzer
    # could save the input; libFuzzer prints the stack instead.
    SWIFT_BACKTRACE=enable=no BAM_FUZZ_TARGET="$target" "$binary" \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "$corpus" >"$log" 2>&1 || status=$?
    reproducers=$(find "$artifacts" -maxdepth 1 -type f ! -name fuzz.log)
    if [ "$status" -ne 0 ] || [ -n "$reproducers" ]; then
        failed+=("$target")
        echo "fuzz: $target FAILED (exit $status)" >&2
        # The finding and the top of its stack (the parsers' own messages
        # about bad input are not findings).
        grep -m1 -A24 -E "==[0-9]+== ?ERROR|Fatal error|ALARM|out-of-memory|deadly signal" "$log" >&2 || true
        for file in $reproducers; do
            echo "fuzz: reproducer $file; replay: BAM_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no $binary $file" >&2
        done
    else
        # "Done 12345 runs in 600 second(s)"
        grep -E "^Done [0-9]+ runs" "$log" | sed "s/^/fuzz: $target: /" || true
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]} (logs and reproducers in $run)" >&2
    exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash, hang or leak"
