#!/bin/bash
# Benchmarks the file-system delta (issue 3): a tree of 1,000,000 entries
# against a profile of the same size, against `find -printf` on the same
# tree in the same run. Target: at most 2x find's time, peak RSS <= 200 MB.
#   BENCH_DELTA_ENTRIES  entries in the tree (default 1000000)
#   BENCH_DIR            work directory (default /tmp/bam-bench)
set -euo pipefail
bam="$(realpath "${1:-.build/release/bam}")"
entries="${BENCH_DELTA_ENTRIES:-1000000}"
dir="${BENCH_DIR:-/tmp/bam-bench}"
tree="$dir/delta-tree-$entries" profile="$dir/delta-profile-$entries"
mkdir -p "$dir"

if [ ! -f "$tree.done" ]; then
    echo "generating a tree of $entries entries in $tree ..."
    rm -rf "$tree" "$profile"
    python3 - "$tree" "$entries" <<'PY'
import os, sys
root, total = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{root}/etc")
with open(f"{root}/etc/passwd", "w") as f: f.write("root:x:0:0:root:/root:/bin/bash\n")
with open(f"{root}/etc/group", "w") as f: f.write("root:x:0:\n")
per_dir, made, d = 1000, 0, 0
while made < total:
    path = f"{root}/srv/d{d // 100}/d{d}"
    os.makedirs(path)
    made += 1
    for i in range(min(per_dir - 1, total - made)):
        open(f"{path}/f{i}", "w").close()
        made += 1
    d += 1
PY
    touch "$tree.done"
fi

run="$dir/delta-run"
rm -rf "$run"; mkdir -p "$run/conf"
export BAM_REGISTRY="$run/registry" BAM_CACHE="$run/cache" BAM_CONF="$run/conf"
"$bam" init --solo >/dev/null
if [ ! -d "$profile" ]; then
    echo / > "$run/dirindex.conf"
    "$bam" internal create-profile --root "$tree" --dirindex-conf "$run/dirindex.conf" "$profile" --quiet >/dev/null
fi

# Run each twice and keep the second: both then read a warm cache.
for pass in 1 2; do
    /usr/bin/time -f "%e %M" -o "$run/find.time" find "$tree" -printf '%p %m %U %G %s %T@\n' >/dev/null
    /usr/bin/time -f "%e %M" -o "$run/delta.time" "$bam" backup --root "$tree" --force-profile "$profile" \
        --simulate --skip-packages --skip-database --quiet >"$run/delta.log"
done
read -r find_s find_kb < "$run/find.time"
read -r delta_s delta_kb < "$run/delta.time"
printf '\n%-28s %12s %12s %10s %s\n' "measure ($entries entries)" "find" "bam delta" "bam/find" "target"
printf '%-28s %11ss %11ss %10s %s\n' "delta against the profile" "$find_s" "$delta_s" \
    "$(python3 -c "print(f'{$delta_s/$find_s:.2f}x')")" "<= 2x"
printf '%-28s %10sMB %10sMB %10s %s\n' "peak RSS" "$((find_kb / 1024))" "$((delta_kb / 1024))" "" "bam <= 200 MB"
