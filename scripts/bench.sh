#!/bin/bash
# Benchmarks bam against duplicity 0.8 on the project's generated corpus
# (scripts/bench/make-corpus.py, changed by change-corpus.py), in the same
# run, with the same passphrase, volume size and file:// target, and prints
# each figure and the ratio duplicity/bam (higher is better for bam).
#   BENCH_SCALE   corpus scale (default 1.0: ~550 MB, 21,600 files)
#   BENCH_DIR     work directory (default /tmp/bam-bench)
set -euo pipefail
bam="$(realpath "${1:-.build/release/bam}")"
here="$(cd "$(dirname "$0")/.." && pwd)"
scale="${BENCH_SCALE:-1.0}"
dir="${BENCH_DIR:-/tmp/bam-bench}"
volsize=25

mkdir -p "$dir"
pristine="$dir/corpus-$scale"
if [ ! -f "$pristine.done" ]; then
    echo "generating the corpus (scale $scale) in $pristine ..."
    rm -rf "$pristine"
    python3 "$here/scripts/bench/make-corpus.py" "$pristine" "$scale"
    touch "$pristine.done"
fi

run="$dir/run"
rm -rf "$run"; mkdir -p "$run"
src="$run/src"
cp -a "$pristine" "$src"
export BAM_REGISTRY="$run/registry" BAM_CACHE="$run/bam-cache"
"$bam" init --solo >/dev/null
PASSPHRASE="$(cat "$BAM_REGISTRY/secret")"; export PASSPHRASE

# measure NAME COMMAND...: wall seconds and peak RSS (KiB) into $run/NAME.
measure() {
    local name="$1"; shift
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    /usr/bin/time -f "%e %M" -o "$run/$name.time" "$@" >"$run/$name.log" 2>&1 || { echo "bench: $name failed:"; tail -20 "$run/$name.log"; exit 1; }
}
dup=(duplicity --archive-dir "$run/dup-cache" --volsize "$volsize" --no-print-statistics)

echo "full backup ..."
measure bam-full "$bam" backup --raw-upload "$src" --address "file://$run/bam-target" --volsize "$volsize" --quiet
measure dup-full "${dup[@]}" full "$src" "file://$run/dup-target"
bam_full_size=$(du -sb "$run/bam-target" | cut -f1); dup_full_size=$(du -sb "$run/dup-target" | cut -f1)

echo "incremental after change-corpus.py ..."
python3 "$here/scripts/bench/change-corpus.py" "$src"
sleep 1
measure bam-inc "$bam" backup --raw-upload "$src" --address "file://$run/bam-target" --volsize "$volsize" --quiet
measure dup-inc "${dup[@]}" incremental "$src" "file://$run/dup-target"

echo "full restore (latest) ..."
measure bam-restore "$bam" restore --raw-download "$run/bam-out" --address "file://$run/bam-target" --quiet
measure dup-restore "${dup[@]}" restore "file://$run/dup-target" "$run/dup-out"

diff -rq "$src" "$run/bam-out" >/dev/null || { echo "bench: bam's restore differs from the source"; exit 1; }

t() { cut -d' ' -f1 "$run/$1.time"; }
m() { cut -d' ' -f2 "$run/$1.time"; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}x' if b else 'n/a')" "$1" "$2"; }
printf '\n%-28s %12s %12s %10s %s\n' "measure" "duplicity" "bam" "dup/bam" "target"
printf '%-28s %11ss %11ss %10s %s\n' "full backup" "$(t dup-full)" "$(t bam-full)" "$(ratio "$(t dup-full)" "$(t bam-full)")" ">= 3x"
printf '%-28s %11ss %11ss %10s %s\n' "incremental backup" "$(t dup-inc)" "$(t bam-inc)" "$(ratio "$(t dup-inc)" "$(t bam-inc)")" ">= 3x"
printf '%-28s %11ss %11ss %10s %s\n' "full restore" "$(t dup-restore)" "$(t bam-restore)" "$(ratio "$(t dup-restore)" "$(t bam-restore)")" ">= 2x"
for op in full inc restore; do
    printf '%-28s %10sMB %10sMB %10s %s\n' "peak RSS ($op)" "$(( $(m dup-$op) / 1024 ))" "$(( $(m bam-$op) / 1024 ))" "" "bam <= 100 MB"
done
printf '%-28s %10sMB %10sMB %10s %s\n' "full backup output" "$((dup_full_size / 1048576))" "$((bam_full_size / 1048576))" \
    "$(python3 -c "print(f'{$bam_full_size/$dup_full_size*100-100:+.1f}%')")" "bam <= +10%"

# --- S3: the same tree through a local S3 server on 127.0.0.1 ---------------
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
printf '%-28s %11ss %11ss %10s %s\n' "S3 full backup" "$(t dup-s3-full)" "$(t bam-s3-full)" "$(ratio "$(t dup-s3-full)" "$(t bam-s3-full)")" ">= 2x"
printf '%-28s %11ss %11ss %10s %s\n' "S3 full restore" "$(t dup-s3-restore)" "$(t bam-s3-restore)" "$(ratio "$(t dup-s3-restore)" "$(t bam-s3-restore)")" ">= 2x"

# --- The file-system delta on a million entries (its own script) ----------
"$here/scripts/bench-delta.sh" "$bam"

# --- Databases: MariaDB and PostgreSQL against their own tools (its own script)
"$here/scripts/bench-db.sh" "$bam"
