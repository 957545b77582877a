#!/bin/bash
# The main job end to end on small synthetic roots (no network, seconds):
# a pristine root and its profile, a changed copy (the "server"), a backup
# of what changed to a local target, a restore onto a fresh copy that has
# users of its own, what moved, and a rollback of the restore.
set -euo pipefail
bam="$(realpath "${1:-.build/debug/bam}")"
work="$(mktemp -d /tmp/bam-demo.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export BAM_REGISTRY="$work/registry" BAM_CACHE="$work/cache" BAM_CONF="$work/conf"
mkdir -p "$BAM_CONF"
pristine="$work/pristine" server="$work/server" fresh="$work/fresh" target="file://$work/target"

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

step "bam init --solo, and the profile of the pristine root"
"$bam" init --solo
"$bam" internal create-profile --root "$pristine" "$BAM_REGISTRY/profile"

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

step "bam backup to $target"
"$bam" backup --root "$server" --address "$target"
ls "$work/target"

step "bam restore --simulate onto the fresh copy (the plan)"
"$bam" restore --root "$fresh" --address "$target" --simulate | grep -v '^  write'

step "bam restore onto the fresh copy"
"$bam" restore --root "$fresh" --address "$target"

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
