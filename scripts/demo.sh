#!/bin/bash
# The main job as a user meets it, on small synthetic roots (no network,
# seconds): a Hub (bam-hub on SQLite, storing backups in a local directory),
# a server linked to it with an API key, a backup of what changed since its
# profile, a second server of the same account restoring that backup by id
# onto a fresh copy with users of its own, what moved, a rollback, and the
# Hub's web page listing the backup.
set -euo pipefail
bam="$(realpath "${1:-.build/debug/bam}")"
hub_bin="$(realpath "${2:-$(dirname "$bam")/bam-hub}")"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d /tmp/bam-demo.XXXXXX)"
hub_pid=""
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export BAM_CACHE="$work/cache" BAM_CONF="$work/conf"
mkdir -p "$BAM_CONF"
pristine="$work/pristine" server="$work/server" fresh="$work/fresh"
database="sqlite:$work/hub.sqlite"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "a pristine root in $pristine (what a fresh install of the appliance holds)"
python3 - "$pristine" <<'PY'
import os, sys
r = sys.argv[1]
def w(p, text, mode=0o644):
    os.makedirs(os.path.dirname(r + p), exist_ok=True)
    with open(r + p, "w") as f: f.write(text)
    os.chmod(r + p, mode); os.utime(r + p, (1_600_000_000, 1_600_000_000))
w("/etc/os-release", 'ID=debian\nVERSION_ID="12"\n')
w("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n")
w("/etc/group", "root:x:0:\nwww-data:x:33:\n")
w("/etc/shadow", "root:*:19000:0:99999:7:::\nwww-data:*:19000:0:99999:7:::\n", 0o640)
w("/etc/gshadow", "root:*::\nwww-data:*::\n", 0o640)
for i in range(20): w(f"/etc/app/conf{i}.conf", f"setting{i} = {i}\n")
for i in range(50): w(f"/var/www/site/page{i}.html", f"<p>page {i}</p>\n" * 20)
w("/etc/motd", "Welcome\n")
os.makedirs(r + "/home", exist_ok=True); os.makedirs(r + "/root", exist_ok=True); os.makedirs(r + "/var/backups", exist_ok=True)
PY
cp -a "$pristine" "$server"; cp -a "$pristine" "$fresh"; cp -a "$pristine" "$work/fresh-before"

step "a Hub: bam-hub on SQLite, an account, a storage region in $work/storage, the profile of the pristine root"
"$hub_bin" account add demo@example.com --database "$database" | tr -d "\n" > "$work/apikey"
chmod 0600 "$work/apikey"
echo "account demo@example.com, API key in $work/apikey (the key stays out of every command line)"
"$hub_bin" region add local --endpoint "file://$work/storage" --bucket backups --lat 50 --lon 8 --default --database "$database"
BAM_REGISTRY="$work/scratch-registry" "$bam" internal create-profile --root "$pristine" "$work/debian-12" > /dev/null
"$hub_bin" profile import "$work/debian-12" --id debian-12 --database "$database"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
hub="http://127.0.0.1:$port"
"$hub_bin" serve --listen "127.0.0.1:$port" --database "$database" --templates "$repo/templates/hub" > "$work/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "$hub/" && break; sleep 0.1; done
echo "bam-hub listening on $hub"

step "server A: bam init with the account's API key (on stdin)"
export BAM_REGISTRY="$work/server-registry"
"$bam" init --apikey-stdin --hub "$hub" --root "$server" < "$work/apikey"
ls -l "$BAM_REGISTRY" | sed 's/^/  /'
"$bam" status || echo "  (exit $?: initialised, no backup yet)"

step "change the server: a user, her files, an edited and a deleted file, a mode change"
echo "alice:x:1000:1000:Alice:/home/alice:/bin/bash" >> "$server/etc/passwd"
echo "alice:x:1000:" >> "$server/etc/group"
echo 'alice:$6$demo$hash:19000:0:99999:7:::' >> "$server/etc/shadow"
mkdir -m 0750 "$server/home/alice"; echo "alice's notes" > "$server/home/alice/notes.txt"
chmod 0600 "$server/home/alice/notes.txt"; chown -R 1000:1000 "$server/home/alice"
echo "<p>new page</p>" > "$server/var/www/site/new.html"; chown 33:33 "$server/var/www/site/new.html"
echo "setting3 = changed" > "$server/etc/app/conf3.conf"
rm "$server/etc/motd"; chmod 0600 "$server/etc/app/conf5.conf"

step "the fresh copy has a user of its own, carol, holding uid 1000"
for root in "$fresh" "$work/fresh-before"; do
    echo "carol:x:1000:1000:Carol:/home/carol:/bin/bash" >> "$root/etc/passwd"
    echo "carol:x:1000:" >> "$root/etc/group"
    echo 'carol:$6$carol$secret:19000:0:99999:7:::' >> "$root/etc/shadow"
done

step "bam backup --simulate (what would be backed up)"
"$bam" backup --root "$server" --simulate

step "bam backup: the Hub creates the backup record and chooses where it is stored"
"$bam" backup --root "$server"
"$bam" status
find "$work/storage" -type f | sed "s|$work/|  |"

step "bam passphrase: the new key goes to the Hub's record first"
echo "demo passphrase" | "$bam" passphrase --noninteractive

step "server B (the fresh copy): bam init with the same account; bam list shows A's backup"
export BAM_REGISTRY="$work/fresh-registry"
"$bam" init --apikey-stdin --hub "$hub" --root "$fresh" < "$work/apikey" > /dev/null
"$bam" list
"$bam" list '%id  %label  %size MB  passphrase: %skpp  %address'
id="$("$bam" list '%id' | head -n 1)"

step "bam restore $id onto the fresh copy (A's passphrase on stdin)"
echo "demo passphrase" | "$bam" restore "$id" --root "$fresh" --noninteractive --simulate | grep -v '^  write'
echo "demo passphrase" | "$bam" restore "$id" --root "$fresh" --noninteractive

step "what moved"
echo "passwd of the fresh copy:"; sed 's/^/  /' "$fresh/etc/passwd"
echo "shadow (carol keeps her password):"; sed 's/^/  /' "$fresh/etc/shadow"
echo "owners as ids (alice is 1001 on the fresh copy):"
stat -c '  %n uid %u gid %g mode %a' "$fresh/home/alice" "$fresh/home/alice/notes.txt" "$fresh/var/www/site/new.html" "$fresh/etc/app/conf5.conf"
[ ! -e "$fresh/etc/motd" ] && echo "  /etc/motd deleted, as on the server"
diff -r --exclude=passwd --exclude=group --exclude=shadow --exclude=gshadow --exclude=bam-rollback "$server" "$fresh" \
    && echo "  every file of the server is on the fresh copy (accounts merged, not copied)"

step "bam restore-rollback: the fresh copy as it was"
"$bam" restore-rollback --root "$fresh"
diff -r "$work/fresh-before" "$fresh" && echo "  identical to the copy taken before the restore"

step "the Hub's web page lists the backup (signed in with the email and API key)"
jar="$work/cookies"
csrf="$(curl -s -c "$jar" "$hub/signin" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)"
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "email=demo@example.com" --data-urlencode "apikey@$work/apikey" \
    --data-urlencode "csrf=$csrf" "$hub/signin"
curl -s -b "$jar" "$hub/servers" > "$work/servers.html"
python3 - "$work/servers.html" <<'PY'
import html, re, sys
page = open(sys.argv[1]).read()
text = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", page, flags=re.S)
text = re.sub(r"<br\s*/?>|</(tr|p|h[1-6]|li|div)>", "\n", text)
text = html.unescape(re.sub(r"<[^>]+>", " ", text))
for line in text.splitlines():
    line = " ".join(line.split())
    if line: print("  " + line)
PY
grep -q "debian-12" "$work/servers.html" && echo "  (the page lists backup $id of profile debian-12)"
