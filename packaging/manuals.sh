#!/bin/bash
# Writes the manual pages of a tool built with swift-argument-parser, made
# from its own help (the `generate-manual` tool reads `--experimental-dump-help`),
# so they never drift from the code: NAME.1 and one NAME-SUBCOMMAND.1 per
# subcommand (Debian's naming; generate-manual's own is NAME.SUBCOMMAND.1).
#   manuals.sh GENERATE_MANUAL TOOL OUTDIR
# The date is SOURCE_DATE_EPOCH's (default: today) for reproducible pages.
set -euo pipefail
generate=$1 tool=$2 out=$3
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$generate" "$tool" --multi-page --section 1 --date "$date" \
    --authors "bam maintainers" --output-directory "$work" >/dev/null
mkdir -p "$out"
for page in "$work"/*.1; do
    name=$(basename "$page" .1)
    name=${name//./-}
    command=$(sed -n '0,/^\.Nm /s/^\.Nm //p' "$page")   # e.g. "bam init", quoted
    # The title and the NAME line (what whatis/apropos index) name the page
    # `bam-init`; every later bare `.Nm` would repeat that, so they name the
    # command as it is typed, `bam init`.
    sed -e '/^\.Dt /{s/^\.Dt //; s/\./-/g; s/^/.Dt /;}' \
        -e "0,/^\.Nm /s/^\.Nm .*/.Nm $name/" \
        -e "s/^\.Nm\$/.Nm $command/" "$page" >"$out/$name.1"
done
