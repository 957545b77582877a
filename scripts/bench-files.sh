#!/bin/bash
# Millions of small files (issue 19): for each count, a generated tree of
# small files in deep and wide directories (scripts/bench/make-files-tree.py)
# backed up, changed 1% (change-tree.py), backed up again and restored by
# bam and restic in the same run (peers.sh); then the whole-system delta
# on a tree of as many entries (bench-delta.sh). Comparing the counts shows
# how each step grows with the tree.
#   BENCH_FILES        the counts (default "100000 1000000")
#   BENCH_FILES_TOOLS  the tools (default "bam restic")
#   BENCH_DIR          work directory (default /tmp/bam-bench)
set -euo pipefail
bam="$(realpath "${1:-.build/release/bam}")"
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${BENCH_DIR:-/tmp/bam-bench}"
mkdir -p "$dir"
for count in ${BENCH_FILES:-100000 1000000}; do
    tree="$dir/files-$count"
    if [ ! -f "$tree.done" ]; then
        echo "generating $count files in $tree ..."
        rm -rf "$tree"
        python3 "$here/scripts/bench/make-files-tree.py" "$tree" "$count"
        touch "$tree.done"
    fi
    BENCH_TOOLS="${BENCH_FILES_TOOLS:-bam restic}" "$here/scripts/bench/peers.sh" "$bam" "files-$count" "$tree" \
        "$here/scripts/bench/change-tree.py" 0.01
    BENCH_DELTA_ENTRIES="$count" "$here/scripts/bench-delta.sh" "$bam"
done
