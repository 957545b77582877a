#!/bin/bash
# The compatibility suite (issue #18), `make test-compat`: the original TKLBAM
# client (Python 2, TurnKey 17/18), unmodified, from the pinned tarballs of
# the compat folder, against bam-hub on 127.0.0.1 with a real S3 server
# (moto: S3, IAM and STS), for each region kind the client can use (plain
# key, STS role, IAM users; BAM_COMPAT_REGIONS picks, rclone-key adds rclone
# serve s3); and the crossings between the client and bam. The steps and
# their verdicts are in scripts/compat/driver.py; BAM_COMPAT_KEEP=1 keeps the
# temporary directory (logs, roots, registries) for a look afterwards.
#
# Usage: scripts/test-compat.sh [COMPAT_DIR]   (default ../shared/compat
# beside the repository). Installs what it needs (apt: duplicity,
# python3-boto, libcurl4-openssl-dev; pip: pycurl 7.43.0.5, pycryptodome and
# simplejson for Python 2.7 into BAM_COMPAT_CACHE, default
# /var/cache/bam-test/compat-py27; a Debian root with the client's packages,
# /var/cache/bam-test/compat-root-v1.tar). Needs root (chroot, mount
# namespaces), python2.7 (pyenv, PATH or BAM_COMPAT_PYTHON2) and the network
# to Debian's and PyPI's registries the first time. Anything missing is a
# failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

fail() { echo "test-compat: FAIL: $*" >&2; exit 1; }

compat=${1:-${BAM_COMPAT_DIR:-../shared/compat}}
[ -d "$compat" ] || fail "the compat folder '$compat' does not exist (it holds the original client's tarballs; set COMPAT_DIR=/path/to/compat)"
compat=$(cd "$compat" && pwd)
ls "$compat"/tklbam-*.tar.gz "$compat"/turnkey-pylib-*.tar.gz "$compat"/pycurl-wrapper-*.tar.gz >/dev/null 2>&1 \
    || fail "the compat folder $compat lacks tklbam-*.tar.gz, turnkey-pylib-*.tar.gz or pycurl-wrapper-*.tar.gz"
[ "$(id -u)" = 0 ] || fail "needs root (the client runs as root, in private mount namespaces)"

# --- Python 2.7 for the client ------------------------------------------------
python2=${BAM_COMPAT_PYTHON2:-}
if [ -z "$python2" ]; then
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/2.7*/bin/python2.7 "$(command -v python2.7 || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then python2=$candidate; break; fi
    done
fi
[ -n "$python2" ] && [ -x "$python2" ] \
    || fail "no python2.7 (looked in pyenv's versions and PATH; install one with 'pyenv install 2.7.18' or set BAM_COMPAT_PYTHON2)"
"$python2" -c 'import sys; assert sys.version_info[:2] == (2, 7)' || fail "$python2 is not Python 2.7"

# --- System packages: Debian's duplicity with stock boto 2 ---------------------
missing=()
for pkg in duplicity python3-boto python3-boto3 libcurl4-openssl-dev gnupg util-linux; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "test-compat: apt-get install ${missing[*]}"
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for tool in duplicity gpg unshare rclone moto_server; do
    command -v "$tool" >/dev/null || fail "$tool is missing (run scripts/install-deps.sh)"
done

# --- The client's Python 2 libraries, cached ----------------------------------
cache=${BAM_COMPAT_CACHE:-/var/cache/bam-test/compat-py27}
site=$cache/site
stamp=$site/.bam-compat-v1
if [ ! -f "$stamp" ]; then
    rm -rf "$site.partial"
    mkdir -p "$cache"
    "$python2" -m pip install --quiet --disable-pip-version-check --no-cache-dir --target "$site.partial" \
        'pycurl==7.43.0.5' 'pycryptodome==3.21.0' 'simplejson==3.19.3' \
        || fail "pip could not install pycurl 7.43.0.5, pycryptodome and simplejson for $python2"
    touch "$site.partial/.bam-compat-v1"
    rm -rf "$site"
    mv "$site.partial" "$site"
fi
PYTHONPATH=$site "$python2" -c 'import pycurl, Crypto.Cipher.AES, simplejson' || fail "the cached Python 2 libraries in $site do not import"

# --- A Debian root the client runs in, for whole-system backups and restores -------
# The client only backs up and restores "/", so it runs chrooted in
# throwaway copies of this root: the cached minbase bookworm of the
# whole-system tests with what the client needs (Debian's duplicity, stock
# boto 2, the libraries of the Python 2.7 and pycurl above, which are
# bind-mounted in).
base=/var/cache/bam-test/bookworm-minbase-v1.tar
if [ ! -f "$base" ]; then
    command -v mmdebstrap >/dev/null || fail "mmdebstrap is missing (run scripts/install-deps.sh)"
    mkdir -p /var/cache/bam-test
    mmdebstrap --variant=minbase --mode=root --format=tar --quiet bookworm "$base.partial" http://deb.debian.org/debian
    mv "$base.partial" "$base"
fi
client_root=/var/cache/bam-test/compat-root-v1.tar
if [ ! -f "$client_root" ]; then
    build=$(mktemp -d "${BAM_TEST_TMP:-/tmp}/bam-compat-root-XXXXXX")
    tar -xpf "$base" --numeric-owner -C "$build"
    cp /etc/resolv.conf "$build/etc/resolv.conf"
    unshare --mount --propagation private -- sh -c '
        mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev" &&
        chroot "$1" apt-get update -qq &&
        chroot "$1" apt-get install -y -qq --no-install-recommends duplicity python3-boto gnupg ca-certificates \
            libcurl4 libssl3 libffi8 libsqlite3-0 libbz2-1.0 libreadline8 libexpat1 libnsl2 libtirpc3 >/dev/null &&
        chroot "$1" apt-get clean' sh "$build" \
        || { rm -rf "$build"; fail "could not install the client's packages into the Debian root"; }
    tar -cpf "$client_root.partial" --numeric-owner -C "$build" .
    rm -rf "$build"
    mv "$client_root.partial" "$client_root"
fi

# --- bam and bam-hub ------------------------------------------------------------
swift=${SWIFT:-swift}
# The whole package, as `make test` builds it: a build of single products
# uses other settings and would recompile half the dependencies.
"$swift" build
bin=$("$swift" build --show-bin-path)

tmp=$(mktemp -d "${BAM_TEST_TMP:-/tmp}/bam-test-compat-XXXXXX")
cleanup() {
    if [ "${BAM_COMPAT_KEEP:-0}" = 1 ]; then echo "test-compat: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
python3 "$top/scripts/compat/driver.py" "$compat" "$tmp" "$bin/bam" "$bin/bam-hub" "$site" "$python2" "$client_root"
