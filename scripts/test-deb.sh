#!/bin/bash
# Tests the Debian packages end to end (issue #9): builds them with
# packaging/build-debs.sh (lintian must find no errors), checks that a second
# build is byte-identical, then installs them into a throwaway Debian root
# (the cached mmdebstrap bookworm of the whole-system tests) with apt and
# dpkg and checks what an administrator would: the commands work, remove
# keeps the configuration and the registry, purge keeps only the registry
# and says so, and nothing else is left behind.
# bam-hub and webmin-bam are checked when their packages were built (their
# sources are in the tree); build-debs.sh says when it skipped them.
# Needs root (chroot, mount) and the network to Debian's mirror. A missing
# tool is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

passed=0
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
pass() { passed=$((passed + 1)); echo "test-deb: ok $passed - $*"; }
for tool in mmdebstrap lintian dpkg-deb dpkg-shlibdeps chroot mount curl python3; do
    command -v "$tool" >/dev/null || fail "$tool is missing (run scripts/install-deps.sh)"
done
[ "$(id -u)" = 0 ] || fail "needs root (chroot into a Debian root)"

dist=$top/dist
version=$(sed -n '/enum BamVersion/,/}/s/.*static let string = "\([^"]*\)".*/\1/p' Sources/BamCLI/Bam.swift)
arch=$(dpkg --print-architecture)
deb() { echo "$dist/${1}_${version}_${arch}.deb"; }

# --- Build (lintian runs inside and fails on errors) -------------------------
# BAM_TEST_DEB_REUSE=1 tests the packages already in dist/ (when iterating
# on the checks below); a real run builds them.
if [ "${BAM_TEST_DEB_REUSE:-0}" != 1 ]; then
    packaging/build-debs.sh
    pass "packages built, lintian clean of errors"
    sums1=$(cd "$dist" && sha256sum ./*.deb)
    BAM_DEB_LINTIAN=0 packaging/build-debs.sh >/dev/null
    sums2=$(cd "$dist" && sha256sum ./*.deb)
    [ "$sums1" = "$sums2" ] || fail "a second build differs: $sums1 / $sums2"
    pass "a second build is byte-identical (reproducible)"
fi
[ -f "$(deb bam)" ] || fail "no $(deb bam)"
has_hub=false; [ -f "$(deb bam-hub)" ] && has_hub=true
has_webmin=false; [ -f "$(deb webmin-bam)" ] && has_webmin=true
echo "test-deb: bam-hub package: $has_hub; webmin-bam package: $has_webmin"

# Contents: owners, the places Debian puts things, a page per subcommand.
listing=$(dpkg-deb -c "$(deb bam)")
if echo "$listing" | awk '{print $2}' | grep -v '^root/root$' >/dev/null; then fail "files not owned by root/root"; fi
for path in ./usr/bin/bam ./usr/lib/bam/scheduled-backup ./lib/systemd/system/bam-backup.service \
    ./lib/systemd/system/bam-backup.timer ./etc/bam/conf ./etc/bam/overrides ./etc/bam/hooks.d/ \
    ./etc/logrotate.d/bam ./usr/share/man/man1/bam.1.gz ./usr/share/bash-completion/completions/bam \
    ./usr/share/zsh/vendor-completions/_bam ./usr/share/doc/bam/copyright; do
    echo "$listing" | awk '{print $6}' | grep -qx "$path" || fail "bam package lacks $path"
done
subcommands=$("$top/.build-static/release/bam" --help | sed -n '/^SUBCOMMANDS:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
for sub in $subcommands; do
    [ "$sub" = help ] && continue
    echo "$listing" | awk '{print $6}' | grep -qx "./usr/share/man/man1/bam-$sub.1.gz" || fail "no manual page bam-$sub.1"
done
dpkg-deb --fsys-tarfile "$(deb bam)" | tar -xOf - ./usr/share/man/man1/bam-schedule.1.gz | gunzip | grep -q 'on|off|status' \
    || fail "bam-schedule.1 does not show the command's arguments"
dpkg-deb -f "$(deb bam)" Depends | grep -q 'libgpgme11' || fail "Depends lacks libgpgme11"
for lib in librsync2 libcurl4 libisal2 gnupg; do dpkg-deb -f "$(deb bam)" Depends | grep -q "$lib" || fail "Depends lacks $lib"; done
pass "bam package: root-owned files, units, conffiles, $(echo "$subcommands" | wc -w) subcommand manual pages, completions, Depends"

# --- A throwaway Debian root --------------------------------------------------
tarball=/var/cache/bam-test/bookworm-minbase-v1.tar
if [ ! -f "$tarball" ]; then
    mkdir -p /var/cache/bam-test
    mmdebstrap --variant=minbase --mode=root --format=tar --quiet bookworm "$tarball.partial" http://deb.debian.org/debian
    mv "$tarball.partial" "$tarball"
fi
root=$(mktemp -d "${BAM_TEST_TMP:-/tmp}/bam-test-deb-XXXXXX")
hub_pid=  # the bam-hub serve started in the root, while it runs
cleanup() {
    if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; fi
    umount "$root/proc" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
tar -xpf "$tarball" --numeric-owner -C "$root"
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" "$@"; }
mkdir -p "$root/tmp/debs"
cp "$dist"/*.deb "$root/tmp/debs/"

# The list of everything outside what apt and dpkg churn themselves, to
# compare before installing and after purging.
snapshot() {
    (cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp -o -path ./run \
        -o -path ./var/lib/apt -o -path ./var/cache/apt -o -path ./var/lib/dpkg -o -path ./var/log/apt \
        -o -path ./var/log/dpkg.log -o -path ./var/cache/debconf -o -path ./var/cache/ldconfig \
        -o -path ./etc/ld.so.cache -o -path ./var/log/alternatives.log \) -prune -o -printf '%p %M %u:%g\n' | sort)
}

in_root apt-get update -qq
# The dependencies first, so that the snapshot shows what bam itself leaves.
in_root apt-get satisfy -y -qq --no-install-recommends "$(dpkg-deb -f "$(deb bam)" Depends)" >/dev/null
before=$(snapshot)
in_root apt-get install -y -qq --no-install-recommends /tmp/debs/bam_${version}_${arch}.deb >/dev/null
in_root dpkg -s bam | grep -q '^Status: install ok installed' || fail "bam is not installed"
pass "apt installs bam into a minbase bookworm root"

[ "$(in_root bam --version)" = "$version" ] || fail "bam --version says $(in_root bam --version), not $version"
for d in /var/lib/bam /var/cache/bam; do [ "$(stat -c %a "$root$d")" = 700 ] || fail "$d is not mode 0700"; done
[ -d "$root/var/log/bam" ] || fail "no /var/log/bam"
in_root man -w bam-backup >/dev/null 2>&1 || [ -f "$root/usr/share/man/man1/bam-backup.1.gz" ] || fail "no bam-backup manual page"
pass "bam --version is $version; /var/lib/bam, /var/cache/bam, /var/log/bam made"

# The whole-system round trip inside the root: init, profile, backup to a
# local target, the scheduled run (logs), a restore of a lost file.
in_root bam init --solo >/dev/null
[ -f "$root/var/lib/bam/key" ] || fail "bam init --solo wrote no /var/lib/bam/key"
in_root bam internal create-profile /var/lib/bam/profile >/dev/null
mkdir -p "$root/srv/site" && echo "precious $$" >"$root/srv/site/data.txt"
echo "/srv" >>"$root/etc/bam/overrides"
in_root bam backup --address file:///var/backups/bam-target --json >"$root/tmp/backup.json" \
    || fail "bam backup failed: $(cat "$root/tmp/backup.json")"
ls "$root/var/backups/bam-target" | grep -q '\.manifest\.gpg$' || fail "no manifest at the local target"
pass "bam init --solo, create-profile and a backup to file:///var/backups/bam-target"

in_root /usr/lib/bam/scheduled-backup >/dev/null || fail "the scheduled backup failed: $(tail -5 "$root/var/log/bam/backup.log")"
grep -q '== exit status 0' "$root/var/log/bam/backup.log" || fail "backup.log has no successful run"
pass "the scheduled backup runs 'bam backup' and appends to /var/log/bam/backup.log"

rm "$root/srv/site/data.txt"
in_root bam restore --address file:///var/backups/bam-target --json >"$root/tmp/restore.json" \
    || fail "bam restore failed: $(cat "$root/tmp/restore.json")"
grep -qx "precious $$" "$root/srv/site/data.txt" || fail "the restore did not bring back /srv/site/data.txt"
pass "bam restore brings back a lost file"

# Scheduling without systemd (minbase has none): a cron file. minbase has
# no cron daemon either, so 'on' is refused (nothing would run it) and
# writes nothing; --force writes the file all the same.
in_root bam schedule status --json | grep -q '"enabled":false' || fail "the schedule is on after install"
if in_root bam schedule on >/dev/null 2>&1; then fail "bam schedule on succeeded in a root with neither systemd nor cron"; fi
[ ! -e "$root/etc/cron.d/bam-backup" ] || fail "a refused bam schedule on wrote the cron file"
in_root bam schedule on --force --json | grep -q '"method":"cron"' || fail "bam schedule on --force did not use cron without systemd"
grep -q '/usr/lib/bam/scheduled-backup' "$root/etc/cron.d/bam-backup" || fail "the cron file does not run the scheduled backup"
in_root bam schedule status --json | grep -q '"enabled":true' || fail "status does not say enabled"
pass "bam schedule on writes /etc/cron.d/bam-backup where systemd is missing"

# Remove: configuration and registry stay; the cron line stays harmless.
in_root apt-get remove -y -qq bam >/dev/null
[ ! -e "$root/usr/bin/bam" ] || fail "/usr/bin/bam left after remove"
for f in /etc/bam/conf /etc/bam/overrides /etc/logrotate.d/bam /var/lib/bam/key; do
    [ -f "$root$f" ] || fail "remove took $f"
done
in_root dpkg -s bam | grep -q '^Status: deinstall ok config-files' || fail "bam is not in config-files state"
# cron mails any output: a removed bam's line must print nothing.
cron_output=$(in_root sh -c "$(sed -n 's/^[0-9]* [0-9]* \* \* \* root //p' "$root/etc/cron.d/bam-backup")" 2>&1 || true)
[ -z "$cron_output" ] || fail "the cron line prints once bam is removed: $cron_output"
pass "remove keeps /etc/bam and /var/lib/bam; the cron line does nothing without bam"

# Purge: configuration goes, the registry stays, and purge says so.
purge_output=$(in_root dpkg --purge bam 2>&1)
echo "$purge_output"
echo "$purge_output" | grep -q 'kept /var/lib/bam' || fail "purge did not say that it kept /var/lib/bam: $purge_output"
[ ! -e "$root/etc/bam" ] || fail "/etc/bam left after purge"
[ -f "$root/var/lib/bam/key" ] || fail "purge took the registry"
rm -rf "$root/var/backups/bam-target" "$root/srv/site"
after=$(snapshot)
leftovers=$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^\./var/lib/bam[/ ]' || true)
missing=$(comm -23 <(echo "$before") <(echo "$after") || true)
comm -13 <(echo "$before") <(echo "$after") | grep -q '^\./var/lib/bam/key -rw------- root:root$' \
    || fail "the snapshot does not show the registry's key (the comparison below would prove nothing)"
[ -z "$leftovers" ] || fail "left behind after purge: $leftovers"
# /etc/bam/overrides was changed above and /srv was made by the test; the
# rest of the system must be as it was.
[ -z "$missing" ] || fail "changed by install and purge: $missing"
pass "purge removes /etc/bam, logs, cache and cron file, keeps only /var/lib/bam"

# With systemd installed: the timer, enabled and disabled by bam schedule,
# as systemctl sees it.
in_root apt-get install -y -qq --no-install-recommends systemd logrotate >/dev/null
in_root apt-get install -y -qq --no-install-recommends /tmp/debs/bam_${version}_${arch}.deb >/dev/null
in_root bam schedule on --json | grep -q '"method":"systemd"' || fail "bam schedule on did not use the timer with systemd installed"
[ "$(in_root systemctl is-enabled bam-backup.timer)" = enabled ] || fail "systemctl does not see bam-backup.timer enabled"
analysis=$(in_root systemd-analyze verify --man=no /lib/systemd/system/bam-backup.timer /lib/systemd/system/bam-backup.service 2>&1) \
    || fail "systemd-analyze finds faults in the units: $analysis"
[ -z "$analysis" ] || fail "systemd-analyze warns about the units: $analysis"
in_root bam schedule off >/dev/null
[ "$(in_root systemctl is-enabled bam-backup.timer || true)" = disabled ] || fail "systemctl does not see bam-backup.timer disabled"
in_root bam schedule on >/dev/null
echo "ran" >"$root/var/log/bam/backup.log"
in_root logrotate -f /etc/logrotate.d/bam || fail "logrotate rejects /etc/logrotate.d/bam"
[ -f "$root/var/log/bam/backup.log.1" ] || fail "logrotate did not rotate /var/log/bam/backup.log"
in_root dpkg --purge bam >/dev/null 2>&1
[ ! -e "$root/etc/systemd/system/timers.target.wants/bam-backup.timer" ] || fail "purge left the timer's wants-symlink"
[ ! -e "$root/var/log/bam" ] || fail "purge left /var/log/bam"
pass "with systemd: bam schedule on/off is what systemctl sees; logrotate rotates; purge drops the timer"

# --- bam-hub (when built: its product is in Package.swift) ---------------------
if $has_hub; then
    dpkg-deb -f "$(deb bam-hub)" Recommends | grep -qw tor-geoipdb || fail "bam-hub does not recommend tor-geoipdb"
    # Without recommends: the Hub must also work where tor-geoipdb is absent.
    in_root apt-get install -y -qq --no-install-recommends /tmp/debs/bam-hub_${version}_${arch}.deb >/dev/null
    in_root getent passwd bam-hub >/dev/null || fail "no system user bam-hub"
    [ "$(in_root stat -c '%U %a' /var/lib/bam-hub)" = "bam-hub 750" ] || fail "/var/lib/bam-hub is not bam-hub's, mode 0750"
    [ "$(in_root stat -c '%G %a' /etc/bam-hub/bam-hub.conf)" = "bam-hub 640" ] || fail "bam-hub.conf is not root:bam-hub 0640"
    [ "$(in_root systemctl is-enabled bam-hub.service)" = enabled ] || fail "bam-hub.service is not enabled"
    [ -d "$root/usr/share/bam-hub/templates" ] || fail "no /usr/share/bam-hub/templates"
    in_root bam-hub --help >/dev/null || fail "bam-hub --help fails"
    analysis=$(in_root systemd-analyze verify --man=no /lib/systemd/system/bam-hub.service 2>&1) \
        || fail "systemd-analyze finds faults in bam-hub.service: $analysis"
    [ -z "$analysis" ] || fail "systemd-analyze warns about bam-hub.service: $analysis"
    pass "bam-hub: system user, enabled service, settings readable by the service only"

    # The service as its unit starts it (systemd does not run in a chroot):
    # as its User=, the ExecStart= line with the variables of its
    # EnvironmentFile=, in which the listen address is moved to a free port as
    # an administrator would. In a root without tor-geoipdb (issue #16: the
    # Hub exited 64 there and the enabled unit restarted in a loop).
    if in_root dpkg-query -W -f='${Status}' tor-geoipdb 2>/dev/null | grep -q 'install ok installed'; then
        fail "tor-geoipdb is installed in the test root: the check below would prove nothing"
    fi
    [ ! -e "$root/usr/share/tor/geoip" ] || fail "the test root has /usr/share/tor/geoip: the check below would prove nothing"
    unit=$root/lib/systemd/system/bam-hub.service
    unit_user=$(sed -n 's/^User=//p' "$unit")
    unit_env_file=$(sed -n 's/^EnvironmentFile=-\{0,1\}//p' "$unit")
    unit_exec=$(sed -n 's/^ExecStart=//p' "$unit")
    [ -n "$unit_user" ] && [ -n "$unit_env_file" ] && [ -n "$unit_exec" ] \
        || fail "bam-hub.service lacks User=, EnvironmentFile= or ExecStart="
    hub_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    sed -i "s/^BAM_HUB_LISTEN=.*/BAM_HUB_LISTEN=127.0.0.1:$hub_port/" "$root$unit_env_file"
    grep -qx "BAM_HUB_LISTEN=127.0.0.1:$hub_port" "$root$unit_env_file" || fail "$unit_env_file has no BAM_HUB_LISTEN line"
    mapfile -t unit_env < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$root$unit_env_file")
    unit_home=$(in_root getent passwd "$unit_user" | cut -d: -f6)
    # systemd expands ${VAR} in ExecStart= from that environment; sh does the same here.
    chroot "$root" setpriv --reuid="$unit_user" --regid="$unit_user" --init-groups \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin HOME="$unit_home" USER="$unit_user" \
        LOGNAME="$unit_user" "${unit_env[@]}" sh -c "exec $unit_exec" >"$root/tmp/bam-hub.log" 2>&1 &
    hub_pid=$!
    hub_status=000
    for _ in $(seq 1 120); do
        if ! kill -0 "$hub_pid" 2>/dev/null; then
            hub_exit=0; wait "$hub_pid" || hub_exit=$?; hub_pid=
            fail "bam-hub serve, started as bam-hub.service starts it, exited with status $hub_exit: $(cat "$root/tmp/bam-hub.log")"
        fi
        hub_status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hub_port/signin" || true)
        [ "$hub_status" = 200 ] && break
        sleep 0.5
    done
    [ "$hub_status" = 200 ] || fail "GET /signin from the packaged bam-hub: HTTP $hub_status; log: $(cat "$root/tmp/bam-hub.log")"
    grep -q 'warning: no GeoIP data' "$root/tmp/bam-hub.log" \
        || fail "bam-hub did not warn that it has no GeoIP data: $(cat "$root/tmp/bam-hub.log")"
    [ "$(in_root stat -c %U /var/lib/bam-hub/hub.sqlite)" = "$unit_user" ] || fail "the Hub's database is not $unit_user's"
    kill "$hub_pid"
    wait "$hub_pid" || true
    hub_pid=
    pass "bam-hub serve, as bam-hub.service starts it, answers GET /signin with 200 without tor-geoipdb, and warns"

    in_root apt-get remove -y -qq bam-hub >/dev/null
    [ -f "$root/etc/bam-hub/bam-hub.conf" ] || fail "remove took /etc/bam-hub/bam-hub.conf"
    in_root dpkg --purge bam-hub >/dev/null 2>&1
    [ ! -e "$root/etc/bam-hub" ] || fail "purge left /etc/bam-hub"
    pass "bam-hub: conffile kept on remove and gone on purge"
else
    echo "test-deb: bam-hub checks NOT RUN: no bam-hub package (its SwiftPM product is not in this tree)"
fi

# --- webmin-bam (when built: dist/bam.wbm.gz existed) --------------------------
if $has_webmin; then
    out=$(in_root apt-get install -y -qq --no-install-recommends /tmp/debs/bam_${version}_${arch}.deb \
        /tmp/debs/webmin-bam_${version}_${arch}.deb 2>&1) || fail "webmin-bam does not install without Webmin: $out"
    echo "$out" | grep -q 'Webmin is not installed' || fail "webmin-bam did not say that Webmin is missing"
    [ -f "$root/usr/share/webmin-bam/bam.wbm.gz" ] || fail "no /usr/share/webmin-bam/bam.wbm.gz"
    in_root dpkg --purge webmin-bam bam >/dev/null 2>&1
    [ ! -e "$root/usr/share/webmin-bam" ] || fail "purge left /usr/share/webmin-bam"
    pass "webmin-bam: installs harmlessly without Webmin, keeps the module for later, purges clean"
else
    echo "test-deb: webmin-bam checks NOT RUN: no webmin-bam package (no dist/bam.wbm.gz in this tree)"
fi

echo "test-deb: all $passed checks passed"
