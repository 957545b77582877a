#!/bin/bash
# Huge files (issue 19): a 20 GiB sparse file (16 data regions of 16 MiB,
# half random, half text, holes between) and a 5 GiB file of random bytes
# (no holes), backed up, changed by 1 MiB in the middle of each
# (change-middle.py), backed up again and restored, by bam and its peers in
# the same run (peers.sh). What to read: the incremental stores under 1% of
# the files, peak RSS stays bounded, the restore is identical (peers.sh
# compares) and "restored, on disk" stays near the source's allocation.
#   BENCH_HUGE_TOOLS   the tools (default "bam restic borg": duplicity 0.8
#                      reads 25 GiB at a few tens of MB/s)
#   BENCH_HUGE_SPARSE  the sparse file's size (default 20G)
#   BENCH_HUGE_DENSE   the dense file's size (default 5G)
#   BENCH_DIR          work directory (default /tmp/bam-bench)
set -euo pipefail
bam="$(realpath "${1:-.build/release/bam}")"
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${BENCH_DIR:-/tmp/bam-bench}"
sparse="${BENCH_HUGE_SPARSE:-20G}" dense="${BENCH_HUGE_DENSE:-5G}"
tree="$dir/huge-$sparse-$dense"
mkdir -p "$dir"
if [ ! -f "$tree.done" ]; then
    echo "writing $tree: a $sparse sparse file and a $dense dense one ..."
    rm -rf "$tree"; mkdir -p "$tree"
    truncate -s "$sparse" "$tree/sparse.img"
    python3 - "$tree/sparse.img" <<'PY'
import os, random, sys
path = sys.argv[1]
size = os.path.getsize(path)
rng = random.Random(20)
text = b"".join(b"line %d of a log that compresses well\n" % n for n in range(500_000))[: 16 << 20]
with open(path, "r+b") as f:
    for region in range(16):
        f.seek(size // 16 * region)
        f.write(rng.randbytes(16 << 20) if region % 2 else text)
PY
    # Random bytes, fast: AES-CTR of zeros with a fixed key.
    head -c "$dense" /dev/zero | openssl enc -aes-128-ctr -nosalt -K 000102030405060708090a0b0c0d0e0f \
        -iv 00000000000000000000000000000000 >"$tree/dense.img"
    touch "$tree.done"
fi
BENCH_TOOLS="${BENCH_HUGE_TOOLS:-bam restic borg}" "$here/scripts/bench/peers.sh" "$bam" "huge" "$tree" \
    "$here/scripts/bench/change-middle.py" $((1 << 20))
