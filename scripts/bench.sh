#!/bin/bash
# Benchmarks bam against its peers in the same run, cold cache before each
# step (scripts/bench/peers.sh: duplicity 0.8, restic, borg), and prints
# each figure with the ratio. The parts, in order (BENCH_PARTS picks some):
#   corpus  the generated corpus (scripts/bench/make-corpus.py, changed by
#           change-corpus.py), all four tools
#   tree    a real tree given by BENCH_TREE (copied first, changed 1% by
#           change-tree.py), all four tools; skipped without BENCH_TREE
#   s3      the corpus through a local S3 server, bam against duplicity
#   files   100,000 and 1,000,000 small files, bam against restic, and the
#           whole-system delta on as many entries (bench-files.sh)
#   huge    a 20 GiB sparse and a 5 GiB dense file (bench-huge.sh)
#   db      MariaDB and PostgreSQL against their own tools (bench-db.sh)
#   BENCH_SCALE   corpus scale (default 1.0: ~550 MB, 21,600 files)
#   BENCH_DIR     work directory (default /tmp/bam-bench)
set -euo pipefail
bam="$(realpath "${1:-.build/release/bam}")"
here="$(cd "$(dirname "$0")/.." && pwd)"
scale="${BENCH_SCALE:-1.0}"
dir="${BENCH_DIR:-/tmp/bam-bench}"
parts=" ${BENCH_PARTS:-corpus tree s3 files huge db} "
volsize=25

mkdir -p "$dir"
pristine="$dir/corpus-$scale"
if [ ! -f "$pristine.done" ]; then
    echo "generating the corpus (scale $scale) in $pristine ..."
    rm -rf "$pristine"
    python3 "$here/scripts/bench/make-corpus.py" "$pristine" "$scale"
    touch "$pristine.done"
fi
echo "bam $("$bam" --version), $(duplicity --version), $(restic version | cut -d' ' -f1-2), $(borg --version)"

if [[ "$parts" == *" corpus "* ]]; then
    "$here/scripts/bench/peers.sh" "$bam" "corpus-$scale" "$pristine" "$here/scripts/bench/change-corpus.py"
fi
if [[ "$parts" == *" tree "* && -n "${BENCH_TREE:-}" ]]; then
    "$here/scripts/bench/peers.sh" "$bam" "tree-$(basename "$BENCH_TREE")" "$BENCH_TREE" "$here/scripts/bench/change-tree.py" 0.01
fi

# --- S3: the corpus through a local S3 server on 127.0.0.1 ----------------
if [[ "$parts" == *" s3 "* ]]; then
run="$dir/run"
rm -rf "$run"; mkdir -p "$run"
src="$run/src"
cp -a "$pristine" "$src"
export BAM_REGISTRY="$run/registry" BAM_CACHE="$run/bam-cache"
"$bam" init --solo >/dev/null
PASSPHRASE="$(cat "$BAM_REGISTRY/secret")"; export PASSPHRASE
measure() {
    local name="$1"; shift
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    /usr/bin/time -f "%e %M" -o "$run/$name.time" "$@" >"$run/$name.log" 2>&1 || { echo "bench: $name failed:"; tail -20 "$run/$name.log"; exit 1; }
}
t() { cut -d' ' -f1 "$run/$1.time"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }
# moto_server (no signature checks: the server's speed is not what is
# measured); bam's s3+http:// against duplicity's boto3 backend, same run.
echo "S3 backup and restore (moto on 127.0.0.1) ..."
s3port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$s3port" >"$run/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$s3port/" && break; sleep 0.2; done
export AWS_ACCESS_KEY_ID=AKIABENCHEXAMPLE AWS_SECRET_ACCESS_KEY=bench-secret-not-checked
for b in bam-bench dup-bench; do curl -sf -X PUT "http://127.0.0.1:$s3port/$b" >/dev/null; done
# An array, not a function: /usr/bin/time runs programs, not shell functions.
s3dup=(duplicity --archive-dir "$run/dup-s3-cache" --volsize "$volsize" --no-print-statistics
       --s3-endpoint-url "http://127.0.0.1:$s3port" --s3-region-name us-east-1 --num-retries 3)
measure bam-s3-full "$bam" backup --raw-upload "$src" --address "s3+http://127.0.0.1:$s3port/bam-bench/host" --volsize "$volsize" --full-backup now --quiet
measure dup-s3-full "${s3dup[@]}" full "$src" "boto3+s3://dup-bench/host"
measure bam-s3-restore "$bam" restore --raw-download "$run/bam-s3-out" --address "s3+http://127.0.0.1:$s3port/bam-bench/host" --quiet
measure dup-s3-restore "${s3dup[@]}" restore "boto3+s3://dup-bench/host" "$run/dup-s3-out"
kill "$moto_pid" 2>/dev/null || true
diff -rq "$src" "$run/bam-s3-out" >/dev/null || { echo "bench: bam's S3 restore differs from the source"; exit 1; }

printf '%-28s %12s %12s %10s %s\n' "measure (corpus, S3)" "duplicity" "bam" "dup/bam" "target"
printf '%-28s %11ss %11ss %10s %s\n' "S3 full backup" "$(t dup-s3-full)" "$(t bam-s3-full)" "$(ratio "$(t dup-s3-full)" "$(t bam-s3-full)")" ">= 2x"
printf '%-28s %11ss %11ss %10s %s\n' "S3 full restore" "$(t dup-s3-restore)" "$(t bam-s3-restore)" "$(ratio "$(t dup-s3-restore)" "$(t bam-s3-restore)")" ">= 2x"
rm -rf "$run"
fi

# --- Millions of files, huge files, databases (their own scripts) ---------
if [[ "$parts" == *" files "* ]]; then "$here/scripts/bench-files.sh" "$bam"; fi
if [[ "$parts" == *" huge "* ]]; then "$here/scripts/bench-huge.sh" "$bam"; fi
if [[ "$parts" == *" db "* ]]; then "$here/scripts/bench-db.sh" "$bam"; fi
