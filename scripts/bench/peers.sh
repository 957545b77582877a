#!/bin/bash
# Backs one tree up with bam and its peers in the same run and prints a
# table: full backup, incremental after a change, restore of the latest
# backup, stored size, peak RSS. Every tool encrypts, keeps its defaults
# (bam: compression fast; duplicity 0.8: gpg zlib; restic: repository
# format and compression "auto" as `restic init` makes it; borg 1.2: lz4),
# targets a local directory, and starts from a cold page cache each step.
#
#   peers.sh BAM NAME TREE CHANGE-COMMAND...
#     NAME            label for the table and the work directory
#     TREE            the tree (copied first, so it stays still)
#     CHANGE-COMMAND  run with the copy as its last argument before the
#                     incremental (e.g. scripts/bench/change-tree.py 0.01)
#   BENCH_TOOLS       the tools to run (default "bam duplicity restic borg")
#   BENCH_DIR         work directory (default /tmp/bam-bench)
#   BENCH_RESULTS     file the figures are appended to as TSV (optional)
set -euo pipefail
bam="$(realpath "$1")"; name="$2"; tree="$(realpath "$3")"; shift 3
change=("$@")
tools=(${BENCH_TOOLS:-bam duplicity restic borg})
dir="${BENCH_DIR:-/tmp/bam-bench}"
volsize=25

run="$dir/peers-$name"
rm -rf "$run"; mkdir -p "$run"
src="$run/src"
echo "[$name] copying $tree ..."
cp -a "$tree" "$src"
files=$(find "$src" -type f | wc -l); bytes=$(du -sb --apparent-size "$src" | cut -f1)
allocated=$(du -s --block-size=1 "$src" | cut -f1)

passphrase="bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BAM_REGISTRY="$run/bam-registry" BAM_CACHE="$run/bam-cache" BAM_CONF="$run/bam-conf"
mkdir -p "$BAM_CONF"
if [[ " ${tools[*]} " == *" bam "* ]]; then "$bam" init --solo >/dev/null; fi
export PASSPHRASE="$passphrase" RESTIC_PASSWORD="$passphrase" BORG_PASSPHRASE="$passphrase"
export RESTIC_CACHE_DIR="$run/restic-cache" BORG_BASE_DIR="$run/borg-base"

# measure STEP TOOL COMMAND...: wall seconds and peak RSS (KiB) into $run/TOOL-STEP.time.
measure() {
    local step="$1" tool="$2"; shift 2
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    /usr/bin/time -f "%e %M" -o "$run/$tool-$step.time" "$@" >"$run/$tool-$step.log" 2>&1 ||
        { echo "bench: $tool $step failed:" >&2; tail -20 "$run/$tool-$step.log" >&2; exit 1; }
}

backup() {  # backup STEP TOOL
    local step="$1" tool="$2"
    case "$tool" in
    bam) measure "$step" bam "$bam" backup --raw-upload "$src" --address "file://$run/bam-target" --volsize "$volsize" --quiet ;;
    duplicity)
        local kind=full; [ "$step" = inc ] && kind=incremental
        measure "$step" duplicity duplicity "$kind" --archive-dir "$run/dup-cache" --volsize "$volsize" \
            --no-print-statistics "$src" "file://$run/duplicity-target" ;;
    restic)
        [ -d "$run/restic-target" ] || restic -r "$run/restic-target" init >/dev/null
        measure "$step" restic restic -r "$run/restic-target" backup --quiet "$src" ;;
    borg)
        [ -d "$run/borg-target" ] || borg init -e repokey-blake2 "$run/borg-target" >/dev/null 2>&1
        measure "$step" borg borg create "$run/borg-target::$step" "$src" ;;
    esac
    du -sb "$run/$tool-target" | cut -f1 >"$run/$tool-$step.size"
}

restore() {  # restore TOOL: the latest backup into $run/TOOL-out; prints the restored tree
    local tool="$1" out="$run/$1-out"
    mkdir -p "$out"
    case "$tool" in
    bam) measure restore bam "$bam" restore --raw-download "$out/tree" --address "file://$run/bam-target" --quiet
        echo "$out/tree" ;;
    duplicity) measure restore duplicity duplicity restore --archive-dir "$run/dup-cache" "file://$run/duplicity-target" "$out/tree"
        echo "$out/tree" ;;
    restic) measure restore restic restic -r "$run/restic-target" restore latest --target "$out"
        echo "$out$src" ;;
    borg) (cd "$out" && measure restore borg borg extract "$run/borg-target::inc")
        echo "$out$src" ;;
    esac
}

echo "[$name] $files files, $((bytes / 1048576)) MiB: full backups ..."
for tool in "${tools[@]}"; do backup full "$tool"; done
echo "[$name] changing the copy: ${change[*]} ..."
"${change[@]}" "$src"
sleep 1
echo "[$name] incrementals ..."
for tool in "${tools[@]}"; do backup inc "$tool"; done
echo "[$name] restores ..."
for tool in "${tools[@]}"; do
    restored=$(restore "$tool")
    # Every tool must give the tree back; a tool that does not is no peer.
    diff -rq --no-dereference "$src" "$restored" >"$run/$tool-diff.log" 2>&1 ||
        { echo "bench: $tool's restore differs from the source:"; head "$run/$tool-diff.log"; exit 1; }
    # Blocks allocated on disk: sparse files restored sparse stay small.
    du -s --block-size=1 "$restored" | cut -f1 >"$run/$tool-restore.size"
    rm -rf "$run/$tool-out"
done

t() { cut -d' ' -f1 "$run/$1.time"; }
m() { echo $(( $(cut -d' ' -f2 "$run/$1.time") / 1024 )); }
mb() { python3 -c "print(f'{$(cat "$run/$1.size")/1e6:.1f}')"; }
# cell TOOL KIND STEP: the figure, and for a peer its ratio to bam's.
cell() {
    local tool="$1" kind="$2" step="$3" value base
    case "$kind" in
    time) value="$(t "$tool-$step")"; base="$(t "bam-$step" 2>/dev/null || echo)"; unit=s ;;
    size) value="$(mb "$tool-$step")"; base="$(mb "bam-$step" 2>/dev/null || echo)"; unit=MB ;;
    rss) value="$(m "$tool-$step")"; base=""; unit=MB ;;
    esac
    if [ "$tool" = bam ] || [ -z "$base" ]; then printf '%s%s' "$value" "$unit"
    elif [ "$kind" = time ]; then python3 -c "print(f'$value$unit ({$value/$base:.2f}x)')"
    else python3 -c "print(f'$value$unit (bam {($base/$value-1)*100:+.1f}%)')"; fi
}
printf '\n%s: %s files, %s MiB (%s MiB on disk) (%s)\n' "$name" "$files" "$((bytes / 1048576))" "$((allocated / 1048576))" \
    "$(date -u +%F), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-22s' measure; for tool in "${tools[@]}"; do printf ' %-24s' "$tool"; done; echo
row() {  # row LABEL KIND STEP
    printf '%-22s' "$1"
    for tool in "${tools[@]}"; do printf ' %-24s' "$(cell "$tool" "$2" "$3")"; done; echo
}
row "full backup" time full
row "incremental" time inc
row "restore (latest)" time restore
row "stored after full" size full
row "stored after incr." size inc
row "restored, on disk" size restore
row "peak RSS full" rss full
row "peak RSS incremental" rss inc
row "peak RSS restore" rss restore
echo "(time: the peer's time over bam's, higher is better for bam; size: bam's difference)"
if [ -n "${BENCH_RESULTS:-}" ]; then
    for tool in "${tools[@]}"; do
        for step in full inc restore; do
            printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$tool" "$step" "$(t "$tool-$step")" "$(m "$tool-$step")" \
                "$(cat "$run/$tool-$step.size" 2>/dev/null || echo -)" >>"$BENCH_RESULTS"
        done
    done
fi
rm -rf "$src"
