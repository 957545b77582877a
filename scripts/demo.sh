#!/bin/bash
# The main job end to end on a throwaway tree: back up, change, back up
# again (incremental), restore, and show that the result is identical.
set -euo pipefail
bam="$(realpath "${1:-.build/release/bam}")"
work="$(mktemp -d /tmp/bam-demo.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export BAM_REGISTRY="$work/registry" BAM_CACHE="$work/cache"
src="$work/server" target="file://$work/target"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a small server-like tree in $src"
python3 - "$src" <<'PY'
import os, random, sys
root = sys.argv[1]; rnd = random.Random(7)
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
for i in range(300):
    d = f"{root}/var/www/site{i % 5}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/page{i}.html", "w") as f:
        f.write(" ".join(rnd.choice(words) for _ in range(rnd.randint(50, 3000))))
os.makedirs(f"{root}/etc/app", exist_ok=True)
for i in range(20):
    with open(f"{root}/etc/app/conf{i}.conf", "w") as f: f.write(f"setting{i} = {i}\n")
    os.chmod(f"{root}/etc/app/conf{i}.conf", 0o640)
os.makedirs(f"{root}/var/lib/data", exist_ok=True)
with open(f"{root}/var/lib/data/blob.bin", "wb") as f: f.write(rnd.randbytes(3_000_000))
os.symlink("site0", f"{root}/var/www/current")
PY
du -sh "$src"

step "bam init --solo (a new backup secret in $BAM_REGISTRY)"
"$bam" init --solo

step "full backup"
"$bam" backup --raw-upload "$src" --address "$target" --volsize 1

step "change the tree: edit, add, delete"
echo "changed" >> "$src/etc/app/conf3.conf"
printf 'NEWDATA!' | dd of="$src/var/lib/data/blob.bin" bs=1 seek=1500000 conv=notrunc status=none
echo "a new file" > "$src/etc/app/new.conf"
rm "$src/var/www/site1/page1.html"

step "incremental backup"
"$bam" backup --raw-upload "$src" --address "$target" --volsize 1

step "what the target holds (duplicity format, encrypted)"
ls -l "$work/target"

step "restore into a fresh directory"
"$bam" restore --raw-download "$work/restored" --address "$target"

step "compare"
"$bam" verify --address "$target" --compare "$src"
diff -r "$src" "$work/restored" && echo "restored tree is identical to the source (content, and verify checked modes, owners, times)"
