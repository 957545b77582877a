#!/bin/bash
# build-webmin-module.sh BAM_WEBMIN_BINARY OUT_DIR [PACKAGE.wbm.gz]
#
# Assembles the Webmin module directory OUT_DIR/bam from webmin-module/,
# templates/webmin/ (as templates/) and the compiled multi-call CGI
# program, with every page's *.cgi a relative symlink to it (tar keeps
# symlinks, and miniserv runs a CGI through one: it reads the ELF header
# to decide it is not Perl, then execs the path). With a third argument,
# also writes the package: a gzip'd tar of bam/ that is byte-for-byte
# reproducible (sorted names, mtime SOURCE_DATE_EPOCH, owner 0, gzip -n).
set -euo pipefail
BIN="$1"; OUT="$2"; PKG="${3:-}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PAGES="index init backup job restore restore-run rollback passphrase escrow options overrides profile schedule"

[ -x "$BIN" ] || { echo "no executable CGI program at $BIN" >&2; exit 1; }
M="$OUT/bam"
rm -rf "$M"
mkdir -p "$M/templates"
cp -R "$HERE/webmin-module/." "$M/"
cp "$HERE"/templates/webmin/*.mustache "$M/templates/"
install -m 0755 "$BIN" "$M/bam-webmin"
for page in $PAGES; do ln -s bam-webmin "$M/$page.cgi"; done
find "$M" -type d -exec chmod 0755 {} +
find "$M" -type f ! -name bam-webmin -exec chmod 0644 {} +

if [ -n "$PKG" ]; then
	EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$HERE" log -1 --format=%ct 2>/dev/null || echo 0)}"
	mkdir -p "$(dirname "$PKG")"
	tar -C "$OUT" --sort=name --mtime="@$EPOCH" --owner=0 --group=0 --numeric-owner \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-cf - bam | gzip -n -9 > "$PKG"
	echo "wrote $PKG"
fi
