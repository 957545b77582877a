#!/usr/bin/env python3
"""Writes the seed corpus in Fuzz/Corpus/<target>/: small, valid inputs of
each format, the way bam, duplicity (Python's tarfile) and the original
TKLBAM write them. The files are checked in; run this only to remake them
(key packets and tar timestamps differ from run to run by design).
Needs python3 with the `cryptography` package (as the key packet tests)."""
import base64, hashlib, io, os, struct, sys, tarfile

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Corpus")


def put(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def tar(entries, fmt):
    """entries: (TarInfo, data or None); the archive without tarfile's
    padding to a 10 KiB record (bam reads a missing end of archive)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = out.getvalue()
    end = len(raw.rstrip(b"\0"))
    end = (end + 511) // 512 * 512
    return raw[:end] + bytes(1024)


def info(name, kind=tarfile.REGTYPE, data=b"", **kw):
    i = tarfile.TarInfo(name)
    i.type = kind
    i.size = len(data) if kind == tarfile.REGTYPE else 0
    i.mtime = kw.get("mtime", 1700000000)
    i.mode = kw.get("mode", 0o644)
    i.uid = kw.get("uid", 0)
    i.gid = kw.get("gid", 0)
    i.uname = kw.get("uname", "root")
    i.gname = kw.get("gname", "root")
    i.linkname = kw.get("linkname", "")
    return i, (data if kind == tarfile.REGTYPE else None)


def volume_entries():
    return [
        info("snapshot/./", tarfile.DIRTYPE, mode=0o755),
        info("snapshot/etc", tarfile.DIRTYPE, mode=0o755),
        info("snapshot/etc/app.conf", data=b"listen 8080\nworkers 4\n"),
        info("snapshot/etc/" + "long-name-" * 12 + ".conf", data=b"x" * 700),
        info("snapshot/etc/\u00fcn\u00efc\u00f6d\u00e9", data=b"caf\xc3\xa9\n", uid=3000000, gid=4000000, uname="alice"),
        info("snapshot/etc/link", tarfile.SYMTYPE, linkname="app.conf", mode=0o777),
        info("snapshot/run/fifo", tarfile.FIFOTYPE),
    ]


def rsync_signature(data, block=512, strong=8):
    # librsync's format: magic (BLAKE2 signature), block length, strong sum
    # length, then per block a weak and a truncated strong sum.
    out = struct.pack(">III", 0x72730137, block, strong)
    for i in range(0, max(len(data), 1), block):
        chunk = data[i:i + block]
        out += struct.pack(">I", sum(chunk) & 0xFFFFFFFF) + hashlib.blake2b(chunk).digest()[:strong]
    return out


def key_v1(secret, passphrase):
    rounds = 80001 if passphrase else 1
    key = passphrase
    for _ in range(rounds):
        key = hashlib.sha256(key).digest()
    plain = os.urandom(4) + hashlib.sha1(secret).digest() + secret
    padded_len = ((len(plain) + 2 - 1) | 0xF) + 1
    buf = os.urandom(padded_len - len(plain) - 2) + plain + struct.pack(">H", len(plain))
    for _ in range(rounds):
        enc = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
        buf = enc.update(buf) + enc.finalize()
    stored = rounds // 1000
    return bytes([1]) + struct.pack(">HH", stored, stored) + hashlib.sha1(secret).digest()[:6] + buf


def key_v2_without_check(secret, passphrase, log2n=10, r=8, p=1):
    """A v2 packet minus its trailing check (the fuzz target appends it)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    if passphrase:
        header = bytes([2, 1, log2n, r, p])
        key = hashlib.scrypt(passphrase, salt=salt, n=1 << log2n, r=r, p=p, dklen=32, maxmem=1 << 30)
    else:
        header = bytes([2, 0, 0, 0, 0])
        key = hashlib.sha256(b"bam key packet v2 without passphrase" + salt).digest()
    header += salt + hashlib.sha1(secret).digest()[:6] + nonce
    return header + AESGCM(key).encrypt(nonce, secret, header)


def main():
    secret = b"Zq3vN8xL2pR7tY1wK5mB9cD4fGh"
    files = dict((i.name, d) for i, d in volume_entries())

    put("tar", "pax-volume.tar", tar(volume_entries(), tarfile.PAX_FORMAT))
    put("tar", "gnu-volume.tar", tar(volume_entries(), tarfile.GNU_FORMAT))
    put("tar", "ustar-volume.tar", tar(volume_entries()[:3], tarfile.USTAR_FORMAT))

    put("manifest", "full.manifest",
        "Hostname backup-host\nLocaldir /\n"
        "Volume 1:\n    StartingPath   .  \n    EndingPath     etc/app.conf 0\n"
        "    Hash SHA1 4e1243bd22c66e76c2ba9eddc1f91394e57f9f83\n"
        "Volume 2:\n    StartingPath   etc/app.conf 1\n    EndingPath     \"var/with\\x20space\"  \n"
        "    Hash SHA1 da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
        "Filelist 3\n    new      etc/app.conf\n    changed  \"var/with\\x20space\"\n    deleted  old/file\n")
    put("manifest", "incremental.manifest",
        "Hostname backup-host\nLocaldir /srv\nVolume 1:\n    StartingPath   .  \n    EndingPath     .  \n"
        "    Hash SHA1 0123456789abcdef0123456789abcdef01234567\nFilelist 1\n    changed  .\n")

    sig = []
    for name in ["snapshot/./", "snapshot/etc"]:
        sig.append(info(name, tarfile.DIRTYPE, mode=0o755))
    sig.append(info("signature/etc/app.conf", data=rsync_signature(files["snapshot/etc/app.conf"])))
    sig.append(info("signature/etc/big.bin", data=rsync_signature(bytes(range(256)) * 6)))
    sig.append(info("snapshot/etc/link", tarfile.SYMTYPE, linkname="app.conf", mode=0o777))
    sig.append(info("deleted/etc/old.conf", data=b""))
    put("signature", "full-signatures.sigtar", tar(sig, tarfile.PAX_FORMAT))
    put("signature", "gnu-signatures.sigtar", tar(sig[:3], tarfile.GNU_FORMAT))

    put("key-v1", "unprotected.key", key_v1(secret, b""))
    put("key-v1", "protected.key", key_v1(secret, b"fuzz passphrase"))
    put("key-v1", "unprotected.key.txt", base64.b64encode(key_v1(secret, b"")) + b"\n")
    put("key-v2", "unprotected.key", key_v2_without_check(secret, b""))
    put("key-v2", "protected-cheap.key", key_v2_without_check(secret, b"fuzz passphrase"))

    put("dirindex", "dirindex",
        "/etc\t41ed\t0\t0\t1000\t65f0a1b2\n"
        "/etc/X11/xkb/compat\ta1ff\t0\t0\t13\t4ac67e09\t/usr/share/X11/xkb/compat\n"
        "/etc/passwd\t81a4\t0\t0\t5d2\t65f0a1b2\n"
        "/var/lib/caf\xc3\xa9 dir/file\t81a4\t3e8\t3e8\t0\t0\n")
    put("dirindex-conf", "dirindex.conf",
        "# core paths\n/etc\n/root\n/var/www\n-/etc/ssl/private # secrets\n"
        "-/var/cache\n/home/*/.ssh\n/srv/[a-z]*\n-/etc/*.dpkg-old\n")

    put("conf", "conf",
        "# bam conf\nvolsize 25\ns3-parallel-uploads 1\nfull-backup 1M\nrestore-cache-size 50%\n"
        "restore-cache-dir /var/cache/bam/restore\nbackup-skip-files False\nbackup-skip-packages False\n"
        "backup-skip-database False\nforce-profile empty\nmysql-defaults-file /etc/mysql/debian.cnf\n"
        "pgsql-host /var/run/postgresql\npgsql-port 5432\npgsql-user postgres\n")
    put("overrides", "overrides",
        "# overrides\n/srv/data\n-/var/cache\n-/srv/data/tmp # scratch\n"
        "mysql:shop\n-mysql:shop/sessions\npgsql:app\n-pgsql:app/audit_log\n")

    put("fsdelta", "fsdelta",
        "o\t/etc/app.conf\t0\t0\ns\t/etc/ssh\t0\t0\t040755\n"
        "d\t/etc/old.conf\no\t/home/alice/caf\xc3\xa9 \tname\t1000\t1000\ns\t/usr/local/bin/tool\t0\t50\t0104755\n")
    put("accounts", "debian",
        "root:x:0:0:root:/root:/bin/bash\nbob:x:1001:1001:Bob,,,:/home/bob:/bin/bash\n"
        "mysql:x:105:110:MySQL Server,,,:/nonexistent:/bin/false\n#comment\n"
        "\0root:x:0:\nbob:x:1001:\nmysql:x:110:\nsudo:x:27:bob\n"
        "\0root:*:19000:0:99999:7:::\nbob:$y$j9T$salt$hash:19000:0:99999:7:::\n"
        "\0root:*::\nbob:!::\nsudo:*::bob\n")
    put("newpkgs", "newpkgs", "apache2\nlibapache2-mod-php\nmariadb-server\n  php8.2-mysql \n\n")
    put("backup-conf", "backup-conf",
        '{\n  "overrides" : [\n    "/srv/data",\n    "-mysql:shop/sessions"\n  ],\n  "profile_id" : "turnkey-lamp-18.0-bookworm-amd64",\n'
        '  "skip_database" : false,\n  "skip_files" : false,\n  "skip_packages" : true\n}\n')
    put("rollback-index", "index",
        "/etc/app.conf\t100644\t0\t0\t1700000000\t123456789\n/etc/new.conf\t-\n"
        "/home/alice\t40755\t1000\t1000\t1700000001\t0\n/etc/link\t120777\t0\t0\t1700000002\t5\n")

    put("cgi-multipart", "upload",
        b"multipart/form-data; boundary=----bamBoundary7MA4YWxk\n"
        b"------bamBoundary7MA4YWxk\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nrestore\r\n"
        b"------bamBoundary7MA4YWxk\r\nContent-Disposition: form-data; name=\"keyfile\"; filename=\"escrow.key\"\r\n"
        b"Content-Type: application/octet-stream\r\n\r\n" + base64.b64encode(key_v1(secret, b"")) + b"\r\n"
        b"------bamBoundary7MA4YWxk\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n\r\n\r\n"
        b"------bamBoundary7MA4YWxk--\r\n")
    put("cgi-form", "form", "mode=restore&address=s3%3A%2F%2Fbucket%2Fpath&time=2024-01-02T03%3A04%3A05&skip_files=1&name=caf%C3%A9+au+lait&empty=")
    put("hub-form", "form", "serverid=abc123&key=c2VjcmV0&address=s3%3A%2F%2Fbucket%2Fpath&description=web+server+%231&size=1024&flag")
    put("sftp-listing", "listing",
        "drwx------    3 backup   backup       4096 Dec  4 10:00 .\n"
        "-rw-------    1 backup   backup   26214400 Dec  4 10:00 duplicity-full.20261204T100000Z.vol1.difftar.gpg\n"
        "-rw-r--r--    1 1000     1000            0 Jan  1  2020  name with  spaces\n"
        "lrwxrwxrwx    1 root     root            7 Dec  4 10:00 link -> target\n"
        "-rw-------    1 backup   backup        512 Dec  4 10:00 .duplicity-full.manifest.gpg.bam-part\n")
    put("sftp-address", "address", "backup@nas.example:2222/backups/h%C3%B4te%201")


if __name__ == "__main__":
    main()
