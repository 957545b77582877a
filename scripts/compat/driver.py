#!/usr/bin/env python3
"""The compatibility suite (make test-compat, issue #18): the original TKLBAM
client (Python 2, unmodified, from the pinned tarballs in the compat folder)
against bam-hub on 127.0.0.1 with a real S3 server, for each region kind the
client can use, and the crossings between the client and bam.

Every step is run and recorded; the table at the end says which passed and,
for each failure, why (with the client's own error output). The exit status
is 1 when any step failed.

Called by scripts/test-compat.sh, which checks and installs the tools first,
with the compat folder, a temporary directory, bam, bam-hub, the Python 2
libraries, python2.7 and the Debian root tarball as arguments (read in
`main`). BAM_COMPAT_REGIONS chooses the region kinds (default "moto-key
moto-sts moto-iam"; "rclone-key" too on request).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, name, log, seconds=60):
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with status %s: %s" % (name, proc.returncode, tail(log)))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("%s did not listen on port %d within %ds: %s" % (name, port, seconds, tail(log)))


def tail(path, size=3000):
    try:
        with open(path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - size))
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        return "(no log: %s)" % e


class StepFailed(Exception):
    pass


class Run:
    """A finished command: its status and its combined output."""

    def __init__(self, argv, status, output):
        self.argv, self.status, self.output = argv, status, output

    def expect(self, status=0, what=None):
        if self.status != status:
            raise StepFailed("%s: exit status %d (expected %d):\n%s" % (what or " ".join(self.argv[-3:]), self.status, status, self.output.strip()[-4000:]))
        return self


class Rig:
    def __init__(self, compat, tmp, bam, hub, site, python2):
        self.compat, self.tmp, self.bam, self.hub, self.site, self.python2 = compat, tmp, bam, hub, site, python2
        self.servers = []
        self.results = []  # (region kind, step, "pass"/"FAIL", reason)
        self.unpack()

    # --- The client, unpacked (never into the repository) -------------------
    def unpack(self):
        # Everything the client needs, in one directory that is also
        # bind-mounted (at the same path) into the Debian roots.
        self.kit = os.path.join(self.tmp, "kit")
        src = os.path.join(self.kit, "src")
        os.makedirs(src)
        wanted = {"tklbam": None, "turnkey-pylib": None, "pycurl-wrapper": None}
        for name in sorted(os.listdir(self.compat)):
            if not name.endswith(".tar.gz"):
                continue
            with tarfile.open(os.path.join(self.compat, name)) as archive:
                archive.extractall(src, filter="data")
        for top in os.listdir(src):
            if top in wanted:
                wanted[top] = os.path.join(src, top)
        missing = [k for k, v in wanted.items() if not v]
        if missing:
            raise RuntimeError("the compat folder %s lacks the tarballs of: %s (see its README.md)" % (self.compat, ", ".join(missing)))
        self.client = wanted["tklbam"]
        # A copy of the cached libraries: the client's mount namespace hides /var/cache.
        site = os.path.join(self.kit, "site")
        shutil.copytree(self.site, site, symlinks=True)
        self.pythonpath = ":".join([os.path.join(wanted["turnkey-pylib"], "pylib"), os.path.join(wanted["pycurl-wrapper"], "pylib"), site])
        # `python2` on PATH: the client runs its internal commands (the STS agent) through it.
        self.bindir = os.path.join(self.kit, "bin")
        os.makedirs(self.bindir)
        os.symlink(self.python2, os.path.join(self.bindir, "python2"))
        # TKLBAM_DEPS: where the client looks for TurnKey's duplicity and squid.
        self.deps = os.path.join(self.kit, "deps")
        os.makedirs(os.path.join(self.deps, "bin"))
        os.makedirs(os.path.join(self.deps, "usr", "sbin"))
        shutil.copy(os.path.join(HERE, "duplicity"), os.path.join(self.deps, "bin", "duplicity"))
        shutil.copy(os.path.join(HERE, "tklbam-squid"), os.path.join(self.deps, "usr", "sbin", "tklbam-squid"))
        # Stock boto as TurnKey's signs S3 requests: signature version 2.
        # The region's endpoint is plain HTTP: the client runs backup and
        # restore with --s3-unencrypted-connection but `duplicity cleanup`
        # without it, so an appliance using a plain-HTTP region needs boto's
        # is_secure = False (/etc/boto.cfg there; BOTO_CONFIG here).
        self.boto_cfg = os.path.join(self.kit, "boto.cfg")
        with open(self.boto_cfg, "w") as f:
            f.write("[Boto]\nis_secure = False\nnum_retries = 1\n")

    # --- Servers ----------------------------------------------------------------
    def start(self, name, argv, port, env=None, log=None):
        log = log or os.path.join(self.tmp, name + ".log")
        out = open(log, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env, start_new_session=True)
        self.servers.append(proc)
        wait_port(port, proc, name, log)
        return proc

    def stop_all(self):
        for proc in reversed(self.servers):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)

    def moto(self):
        """moto (S3, IAM and STS on one port) with an IAM user for the Hub's
        regions and a role for STS regions, limited to the bucket.

        Its signature checks stay off: the original client signs S3 requests
        the way TurnKey's boto does, with AWS signature version 2 (TurnKey's
        boto is a boto 2.10 fork; stock boto 2 does the same by default),
        and moto verifies only version 4 (with checks on it refuses every
        request of the client). rclone serve s3 refuses version 2 outright
        (UnsupportedAlgorithm): BAM_COMPAT_REGIONS=rclone-key shows it."""
        import boto3

        port = free_port()
        self.start("moto", ["moto_server", "-H", "127.0.0.1", "-p", str(port)], port)
        endpoint = "http://127.0.0.1:%d" % port
        boot = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="AKIABOOTSTRAP0000000", aws_secret_access_key="bootstrap")
        iam = boto3.client("iam", **boot)
        iam.create_user(UserName="hub")
        key = iam.create_access_key(UserName="hub")["AccessKey"]
        iam.put_user_policy(UserName="hub", PolicyName="all", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        role = iam.create_role(
            RoleName="tklbam-clients",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}),
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName="tklbam-clients",
            PolicyName="bucket",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::compat", "arn:aws:s3:::compat/*"]}]}),
        )
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        s3.create_bucket(Bucket="compat")
        return endpoint, key["AccessKeyId"], key["SecretAccessKey"], role

    def rclone(self):
        port = free_port()
        root = os.path.join(self.tmp, "rclone-root")
        os.makedirs(os.path.join(root, "compat"))
        access, secret = "AKIARCLONECOMPAT0001", "rclone-secret-%d" % os.getpid()
        self.start(
            "rclone",
            ["rclone", "serve", "s3", "--addr", "127.0.0.1:%d" % port, "--config", "/dev/null", "--log-level", "NOTICE", root],
            port,
            env={"RCLONE_AUTH_KEY": '"%s,%s"' % (access, secret)},
        )
        return "http://127.0.0.1:%d" % port, access, secret

    def hub_world(self, kind, endpoint, access, secret, role=None, iam_users=False):
        """A bam-hub with one account, the debian-12 profile (the id the
        client detects on a Debian 12 system: the Debian roots' and the
        host's) and one default region."""
        d = os.path.join(self.tmp, "hub-" + kind)
        os.makedirs(d)
        db = "sqlite:" + os.path.join(d, "hub.sqlite")

        def admin(args, stdin=""):
            done = subprocess.run([self.hub] + args + ["--database", db], input=stdin, text=True, capture_output=True)
            if done.returncode != 0:
                raise RuntimeError("bam-hub %s: %s" % (" ".join(args[:2]), done.stderr))
            return done.stdout

        apikey = json.loads(admin(["account", "add", "owner-%s@example.com" % kind, "--json"]))["apikey"]
        admin(["profile", "import", self.profile, "--id", "debian-12"])
        region = ["region", "add", "local-" + kind, "--endpoint", endpoint, "--bucket", "compat", "--lat", "50", "--lon", "8", "--access-key", access, "--secret-key-stdin", "--default"]
        if role:
            region += ["--sts-role", role]
        if iam_users:
            region += ["--iam-users"]
        admin(region, stdin=secret + "\n")
        port = free_port()
        self.start(
            "bam-hub-" + kind,
            [self.hub, "serve", "--listen", "127.0.0.1:%d" % port, "--database", db, "--templates", os.path.join(REPO, "templates", "hub")],
            port,
            log=os.path.join(d, "hub.log"),
        )
        return HubWorld(kind, "http://127.0.0.1:%d/api/backup/" % port, apikey, d)

    # --- Recording ----------------------------------------------------------------
    def step(self, kind, name, fn):
        print("compat: [%s] %s ..." % (kind, name), flush=True)
        try:
            detail = fn()
            self.results.append((kind, name, "pass", detail or ""))
            print("compat: [%s] %s: pass" % (kind, name), flush=True)
            return True
        except StepFailed as e:
            reason = str(e)
        except Exception as e:  # a failure of the rig itself: still recorded, with its traceback
            reason = "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())
        self.results.append((kind, name, "FAIL", reason))
        print("compat: [%s] %s: FAIL\n%s" % (kind, name, indent(reason)), flush=True)
        return False


def summary(reason):
    """The line of a step's outcome that says why: the first exception or
    error line of the client's output, else the first line."""
    lines = [l.strip() for l in (reason or "").strip().split("\n") if l.strip()]
    for line in lines[1:]:
        if re.match(r"^([\w.]+(Error|Exception)\b|error:|fatal:)", line) or "is an invalid" in line:
            return lines[0].split(":")[0] + ": " + line
    if len(lines) > 1 and lines[0].endswith(":"):
        return lines[0] + " " + lines[1]
    return lines[0] if lines else ""


def indent(text):
    return "\n".join("    " + l for l in text.strip().split("\n"))


class HubWorld:
    def __init__(self, kind, apiurl, apikey, directory):
        self.kind, self.apiurl, self.apikey, self.directory = kind, apiurl, apikey, directory


class Appliance:
    """One original client: its registry, conf, caches and logs in a
    sandbox directory. Each command runs in a private mount namespace in
    which the client's fixed paths (/var/cache/duplicity,
    /var/cache/tklbam, /var/log, /run) are the sandbox's, so nothing of the
    host changes; it runs in a new session (no controlling terminal), so
    getpass reads the passphrase from standard input."""

    def __init__(self, rig, hub, name):
        self.rig, self.hub = rig, hub
        self.dir = os.path.join(rig.tmp, "appliance-" + name)
        for sub in ("registry", "conf", "home", "var-cache-duplicity", "var-cache-tklbam", "var-log", "run"):
            os.makedirs(os.path.join(self.dir, sub), mode=0o700)
        self.registry = os.path.join(self.dir, "registry")

    def env(self):
        return {
            "PATH": self.rig.bindir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.path.join(self.dir, "home"),
            "LC_ALL": "C",
            "PYTHONPATH": self.rig.pythonpath,
            "PYTHONDONTWRITEBYTECODE": "1",
            "TKLBAM_APIURL": self.hub.apiurl,
            "TKLBAM_REGISTRY": self.registry,
            "TKLBAM_CONF": os.path.join(self.dir, "conf"),
            "TKLBAM_DEPS": self.rig.deps,
            "BOTO_CONFIG": self.rig.boto_cfg,
        }

    def run(self, command, args=(), stdin="", timeout=600):
        script = os.path.join(self.rig.client, "cmd_%s.py" % command.replace("-", "_"))
        binds = [
            (os.path.join(self.dir, "var-cache-duplicity"), "/var/cache/duplicity"),
            (os.path.join(self.dir, "var-cache-tklbam"), "/var/cache/tklbam"),
            (os.path.join(self.dir, "var-log"), "/var/log"),
            (os.path.join(self.dir, "run"), "/run"),
        ]
        # A tmpfs over /var/cache gives the mount points without creating
        # anything on the host.
        mounts = "mount -t tmpfs compat-cache /var/cache && mkdir /var/cache/duplicity /var/cache/tklbam && "
        mounts += " && ".join('mount --bind "%s" "%s"' % b for b in binds)
        argv = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", mounts + ' && exec "$@"', "sh", "python2", script] + list(args)
        done = subprocess.run(argv, input=stdin, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=self.env(), timeout=timeout, start_new_session=True)
        return Run(["tklbam-" + command] + list(args), done.returncode, done.stdout)

    def hbr(self):
        path = os.path.join(self.registry, "hbr")
        if not os.path.exists(path):
            return {}
        return dict(l.split("=", 1) for l in open(path).read().split("\n") if "=" in l)


def make_tree(path, seed):
    """A small tree with the kinds of entries a raw backup carries."""
    os.makedirs(os.path.join(path, "sub", "deeper"))
    with open(os.path.join(path, "hello.txt"), "w") as f:
        f.write("hello from %s\n" % seed)
    with open(os.path.join(path, "sub", "binary.bin"), "wb") as f:
        f.write(os.urandom(300 * 1024))
    with open(os.path.join(path, "sub", "deeper", "secret"), "w") as f:
        f.write("s3cr3t %s\n" % seed)
    os.chmod(os.path.join(path, "sub", "deeper", "secret"), 0o600)
    os.symlink("hello.txt", os.path.join(path, "link"))
    os.chown(os.path.join(path, "hello.txt"), 1234, 4321)


def tree_listing(path):
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(dirs + files):
            p = os.path.join(root, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, path)
            if os.path.islink(p):
                out.append("%s -> %s" % (rel, os.readlink(p)))
            elif os.path.isdir(p):
                out.append("%s/ %o %d:%d" % (rel, st.st_mode & 0o7777, st.st_uid, st.st_gid))
            else:
                out.append("%s %o %d:%d %s" % (rel, st.st_mode & 0o7777, st.st_uid, st.st_gid, open(p, "rb").read().hex()[:64] + str(st.st_size)))
    return out


def same_tree(a, b):
    la, lb = tree_listing(a), tree_listing(b)
    if la != lb:
        missing = sorted(set(la) - set(lb))[:10]
        extra = sorted(set(lb) - set(la))[:10]
        raise StepFailed("restored tree differs from the original:\n  only in original: %s\n  only in restored: %s" % (missing, extra))


def client_steps(rig, hub):
    """init, status, list, passphrase, raw backup and restore with one
    original client against `hub`."""
    kind = hub.kind
    app = Appliance(rig, hub, kind)
    data = os.path.join(app.dir, "data")
    make_tree(data, kind)
    state = {}

    def status_before():
        r = app.run("status")
        if r.status != 11:
            raise StepFailed("tklbam-status before init: exit %d, expected 11 (NO APIKEY):\n%s" % (r.status, r.output))
        return "exit 11 (no API key yet)"

    rig.step(kind, "status before init (11)", status_before)

    def init():
        r = app.run("init", stdin=hub.apikey + "\n").expect(0, "tklbam-init")
        if not os.path.exists(os.path.join(app.registry, "sub_apikey")):
            raise StepFailed("tklbam-init wrote no sub_apikey:\n" + r.output)
        if not os.path.isdir(os.path.join(app.registry, "profile")):
            raise StepFailed("tklbam-init downloaded no profile:\n" + r.output)
        # The credentials the client kept: the type its region kind calls for
        # (an STS region's go through the STS agent at each duplicity run).
        creds = dict(l.split("=", 1) for l in open(os.path.join(app.registry, "credentials")).read().split("\n") if "=" in l)
        wanted = "iamrole" if kind.endswith("-sts") else "iamuser"
        if creds.get("type") != wanted:
            raise StepFailed("tklbam-init kept credentials of type %r, expected %r for a %s region" % (creds.get("type"), wanted, kind))
        return r.output.strip().split("\n")[-1] + "; credentials type " + wanted

    if not rig.step(kind, "tklbam-init APIKEY (stdin)", init):
        return

    def status_no_backup():
        r = app.run("status")
        if r.status != 10:
            raise StepFailed("tklbam-status after init: exit %d, expected 10 (NO BACKUP):\n%s" % (r.status, r.output))
        return "exit 10 (no backup yet)"

    rig.step(kind, "status after init (10)", status_no_backup)

    def backup():
        r = app.run("backup", ["--raw-upload=" + data]).expect(0, "tklbam-backup --raw-upload")
        hbr = app.hbr()
        if not hbr.get("backup_id"):
            raise StepFailed("no backup record in the registry after the backup:\n" + r.output)
        state["id"], state["address"] = hbr["backup_id"], hbr["address"]
        return "backup %s at %s" % (hbr["backup_id"], hbr["address"])

    backed_up = rig.step(kind, "raw backup (tklbam-backup --raw-upload)", backup)

    def status_ok():
        r = app.run("status").expect(0, "tklbam-status")
        return r.output.strip().split("\n")[0]

    if backed_up:
        rig.step(kind, "status after backup (0)", status_ok)

    def listing():
        r = app.run("list", ["%id|%updated|%size|%address|%skpp|%profile_id"]).expect(0, "tklbam-list FORMAT")
        rows = [l.split("|") for l in r.output.strip().split("\n") if l.count("|") == 5]
        mine = [row for row in rows if row[0] == state.get("id")]
        if not mine:
            raise StepFailed("tklbam-list does not show backup %s:\n%s" % (state.get("id"), r.output))
        row = mine[0]
        if row[3] != state["address"]:
            raise StepFailed("tklbam-list address %s differs from the registry's %s" % (row[3], state["address"]))
        if row[1] in ("", "None", "-"):
            raise StepFailed("the Hub's record was never updated after the backup (record/update/ by address): updated=%r size=%r\n%s" % (row[1], row[2], r.output))
        if int(row[2] or 0) <= 0:
            raise StepFailed("the Hub's record has size %r after the backup (record/update/ by address did not measure it)\n%s" % (row[2], r.output))
        app.run("list").expect(0, "tklbam-list (default format)")
        return "|".join(row[:3])

    if backed_up:
        rig.step(kind, "list (default and formatted; record updated)", listing)

    def passphrase():
        r = app.run("passphrase", stdin="compat-pass\ncompat-pass\n").expect(0, "tklbam-passphrase")
        out = app.run("list", ["%id %skpp"]).expect(0, "tklbam-list")
        if "%s Yes" % state["id"] not in out.output:
            raise StepFailed("the Hub's record does not say the key is passphrase-protected after tklbam-passphrase:\n%s\n%s" % (r.output, out.output))
        return "key protected, Hub record updated (skpp Yes)"

    protected = backed_up and rig.step(kind, "passphrase (protect the key; Hub updated)", passphrase)

    def restore():
        out = os.path.join(app.dir, "restored")
        r = app.run("restore", [state["id"], "--raw-download=" + out], stdin=("compat-pass\n" if protected else "")).expect(0, "tklbam-restore --raw-download")
        same_tree(data, out)
        proxied = os.path.join(app.dir, "var-cache-tklbam", "restore", "standin.log")
        if not (os.path.exists(proxied) and " 200" in open(proxied).read()):
            raise StepFailed("the restore did not go through the squid stand-in (no %s): the rig does not stand in for TurnKey's squid\n%s" % (proxied, r.output))
        return "identical tree, downloaded through the squid stand-in"

    if backed_up:
        rig.step(kind, "raw restore (tklbam-restore --raw-download)", restore)
    if backed_up:
        raw_crossings(rig, hub, app, state, data, protected)


class BamUser:
    """bam with its own registry and cache in a sandbox directory."""

    def __init__(self, rig, hub, name):
        self.rig, self.hub = rig, hub
        self.dir = os.path.join(rig.tmp, "bam-" + name)
        os.makedirs(os.path.join(self.dir, "cache"), mode=0o700)
        self.registry = os.path.join(self.dir, "registry")

    def run(self, args, stdin="", timeout=600):
        env = dict(os.environ, BAM_REGISTRY=self.registry, BAM_CACHE=os.path.join(self.dir, "cache"), LC_ALL="C")
        done = subprocess.run([self.rig.bam] + list(args), input=stdin, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=timeout)
        return Run(["bam"] + list(args), done.returncode, done.stdout)

    def init(self, *extra):
        hub_root = self.hub.apiurl[: -len("/api/backup/")]
        return self.run(["init", "--apikey-stdin", "--hub", hub_root] + list(extra), stdin=self.hub.apikey + "\n").expect(0, "bam init")


def raw_crossings(rig, hub, app, state, data, protected):
    """A raw backup made by the client (passphrase-protected key) restored
    by bam. (bam's --raw-upload goes only to an --address, not to a Hub
    record: the crossing the other way is the whole-system one.)"""
    kind = hub.kind

    def client_to_bam():
        user = BamUser(rig, hub, kind + "-reader")
        user.init()
        out = os.path.join(user.dir, "restored")
        args = ["restore", state["id"], "--raw-download", out, "--noninteractive"]
        user.run(args, stdin=("compat-pass\n" if protected else "")).expect(0, "bam restore %s --raw-download" % state["id"])
        same_tree(data, out)
        return "identical tree"

    rig.step(kind, "crossing: client raw backup -> bam restore --raw-download", client_to_bam)

    def escrow_to_bam():
        keyfile = os.path.join(app.dir, "escrow.key")
        app.run("escrow", [keyfile], stdin="escrow-pass\nescrow-pass\n").expect(0, "tklbam-escrow KEYFILE")
        user = BamUser(rig, hub, kind + "-escrow")
        user.init()
        out = os.path.join(user.dir, "restored")
        # The client's address of a plain-HTTP region is s3://HOST:PORT/...
        # (it adds --s3-unencrypted-connection itself); bam reads that form
        # as HTTPS and takes s3+http:// for plain HTTP.
        address = re.sub(r"^s3://", "s3+http://", state["address"])
        args = ["restore", "--address", address, "--keyfile", keyfile, "--raw-download", out, "--noninteractive"]
        user.run(args, stdin="escrow-pass\n").expect(0, "bam restore --address --keyfile ESCROW --raw-download")
        same_tree(data, out)
        return "identical tree"

    rig.step(kind, "crossing: tklbam-escrow key -> bam restore --keyfile --address", escrow_to_bam)


class DebianRoots:
    """Throwaway Debian roots (copies of the cached bookworm with the
    client's packages, made by test-compat.sh). The original client only
    backs up and restores "/", so it runs chrooted in them, in a private
    mount namespace with /proc, /dev, the client's kit and the Python 2.7
    prefix bind-mounted in at their own paths; bam works on them with
    --root."""

    def __init__(self, rig, tarball):
        self.rig, self.tarball = rig, tarball
        self.dir = os.path.join(rig.tmp, "roots")
        os.makedirs(self.dir)
        self.python_prefix = os.path.dirname(os.path.dirname(os.path.realpath(rig.python2)))

    def fresh(self, name):
        root = os.path.join(self.dir, name)
        os.makedirs(root)
        subprocess.run(["tar", "-xpf", self.tarball, "--numeric-owner", "-C", root], check=True)
        return root

    def run(self, root, argv, env=None, stdin="", timeout=900):
        script = (
            'R=$1; K=$2; P=$3; shift 3; mount -t proc proc "$R/proc" && mount --rbind /dev "$R/dev" && '
            'mkdir -p "$R$K" "$R$P" && mount --bind "$K" "$R$K" && mount --bind "$P" "$R$P" && exec chroot "$R" "$@"'
        )
        full = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", root, self.rig.kit, self.python_prefix]
        full += ["/usr/bin/env", "-i"] + ["%s=%s" % kv for kv in sorted((env or {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}).items())] + list(argv)
        done = subprocess.run(full, input=stdin, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True)
        return Run(list(argv), done.returncode, done.stdout)

    def client(self, root, hub, command, args=(), stdin=""):
        env = {
            "PATH": self.rig.bindir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "LC_ALL": "C",
            "PYTHONPATH": self.rig.pythonpath,
            "PYTHONDONTWRITEBYTECODE": "1",
            "TKLBAM_APIURL": hub.apiurl,
            "TKLBAM_DEPS": self.rig.deps,
            "BOTO_CONFIG": self.rig.boto_cfg,
        }
        script = os.path.join(self.rig.client, "cmd_%s.py" % command.replace("-", "_"))
        r = self.run(root, ["python2", script] + list(args), env=env, stdin=stdin)
        r.argv = ["tklbam-" + command] + list(args)
        return r


def admin_changes(roots, root, user, password):
    """What an administrator changes on a server: a user with a password
    and a supplementary group, a site owned by the user, a setting in /etc.
    Returns the paths whose contents, modes and owners must cross over."""
    for argv, stdin in [
        (["groupadd", "webops"], ""),
        (["useradd", "-m", "-s", "/bin/bash", "-G", "webops", user], ""),
        (["chpasswd"], "%s:%s\n" % (user, password)),
    ]:
        roots.run(root, argv, stdin=stdin).expect(0, " ".join(argv))
    os.makedirs(os.path.join(root, "srv", "site"))
    with open(os.path.join(root, "srv", "site", "index.html"), "w") as f:
        f.write("<p>%s's site</p>\n" % user)
    with open(os.path.join(root, "etc", "compat.conf"), "w") as f:
        f.write("setting = %s\n" % user)
    with open(os.path.join(root, "home", user, "notes.txt"), "w") as f:
        f.write("notes of %s\n" % user)
    roots.run(root, ["chown", "-R", "%s:webops" % user, "/srv/site", "/home/%s/notes.txt" % user]).expect(0, "chown")
    os.chmod(os.path.join(root, "srv", "site", "index.html"), 0o640)
    return ["/srv/site", "/srv/site/index.html", "/etc/compat.conf", "/home/%s/notes.txt" % user]


def account_state(root, user, paths):
    """The user's account (passwd fields but the ids, shadow hash, groups)
    and the paths' contents, modes and owners by name, as the comparison of
    two roots sees them."""

    def table(name):
        with open(os.path.join(root, "etc", name)) as f:
            return [l.rstrip("\n").split(":") for l in f if l.strip()]

    passwd, shadow, group = table("passwd"), table("shadow"), table("group")
    users = {int(e[2]): e[0] for e in passwd}
    groups = {int(e[2]): e[0] for e in group}
    state = {}
    entry = [e for e in passwd if e[0] == user]
    state["passwd"] = [entry[0][0], entry[0][4], entry[0][5], entry[0][6]] if entry else None
    sh = [e for e in shadow if e[0] == user]
    state["shadow hash"] = sh[0][1] if sh else None
    state["groups"] = sorted(e[0] for e in group if user in e[3].split(","))
    for p in paths:
        full = os.path.join(root, p.lstrip("/"))
        if not os.path.lexists(full):
            state[p] = None
            continue
        st = os.lstat(full)
        content = open(full, "rb").read().decode("utf-8", "replace") if os.path.isfile(full) else "(dir)"
        state[p] = (content, "%o" % (st.st_mode & 0o7777), users.get(st.st_uid, st.st_uid), groups.get(st.st_gid, st.st_gid))
    return state


def same_accounts(expected, root, user, paths):
    got = account_state(root, user, paths)
    diffs = ["%s: expected %r, got %r" % (k, expected[k], got.get(k)) for k in expected if expected[k] != got.get(k)]
    if diffs:
        raise StepFailed("the restored root differs from the backed-up one:\n  " + "\n  ".join(diffs))


def whole_system_steps(rig, roots, hub):
    """The client's whole-system backup and restore in Debian roots, and
    both crossings with bam (users' passwords included)."""
    kind = hub.kind
    state = {}

    def client_backup():
        root = roots.fresh(kind + "-client-src")
        state["paths"] = admin_changes(roots, root, "alice", "alice-pw-" + kind)
        state["expected"] = account_state(root, "alice", state["paths"])
        roots.client(root, hub, "init", stdin=hub.apikey + "\n").expect(0, "tklbam-init (in the root)")
        r = roots.client(root, hub, "backup").expect(0, "tklbam-backup (whole system)")
        hbr = dict(l.split("=", 1) for l in open(os.path.join(root, "var/lib/tklbam/hbr")).read().split("\n") if "=" in l)
        state["id"] = hbr["backup_id"]
        return "backup %s" % state["id"]

    if not rig.step(kind, "whole-system backup (tklbam-backup in a Debian root)", client_backup):
        return

    def client_restore():
        root = roots.fresh(kind + "-client-dst")
        roots.client(root, hub, "init", stdin=hub.apikey + "\n").expect(0, "tklbam-init (in the root)")
        roots.client(root, hub, "restore", [state["id"], "--noninteractive"]).expect(0, "tklbam-restore %s --noninteractive" % state["id"])
        same_accounts(state["expected"], root, "alice", state["paths"])
        return "alice (password, groups) and her files restored"

    rig.step(kind, "whole-system restore (tklbam-restore in a fresh root)", client_restore)

    def client_to_bam():
        root = roots.fresh(kind + "-bam-dst")
        user = BamUser(rig, hub, kind + "-system-reader")
        user.init("--root", root)
        conf = os.path.join(user.dir, "conf")
        os.makedirs(conf)
        user.run(["restore", state["id"], "--root", root, "--conf-dir", conf, "--noninteractive"]).expect(0, "bam restore %s --root" % state["id"])
        same_accounts(state["expected"], root, "alice", state["paths"])
        return "alice (password, groups) and her files restored"

    rig.step(kind, "crossing: client whole-system backup -> bam restore (passwords)", client_to_bam)

    def bam_to_client():
        src = roots.fresh(kind + "-bam-src")
        paths = admin_changes(roots, src, "bob", "bob-pw-" + kind)
        expected = account_state(src, "bob", paths)
        user = BamUser(rig, hub, kind + "-system-writer")
        user.init("--root", src, "--key-format", "v1")
        conf = os.path.join(user.dir, "conf")
        os.makedirs(conf)
        made = user.run(["backup", "--root", src, "--conf-dir", conf, "--json"]).expect(0, "bam backup --root")
        backup_id = json.loads(made.output.strip().split("\n")[-1]).get("backup_id")
        dst = roots.fresh(kind + "-client-from-bam")
        roots.client(dst, hub, "init", stdin=hub.apikey + "\n").expect(0, "tklbam-init (in the root)")
        roots.client(dst, hub, "restore", [str(backup_id), "--noninteractive"]).expect(0, "tklbam-restore %s (bam-made, v1 key)" % backup_id)
        same_accounts(expected, dst, "bob", paths)
        return "backup %s: bob (password, groups) and his files restored" % backup_id

    rig.step(kind, "crossing: bam whole-system backup (v1 key) -> tklbam-restore", bam_to_client)


def main():
    compat, tmp, bam, hub, site, python2, root_tarball = sys.argv[1:8]
    kinds = (os.environ.get("BAM_COMPAT_REGIONS") or "moto-key moto-sts moto-iam").split()
    rig = Rig(compat, tmp, bam, hub, site, python2)
    try:
        roots = DebianRoots(rig, root_tarball)
        # The profile the client and bam download for a Debian 12 root:
        # bam's own profile of the pristine root.
        pristine = roots.fresh("pristine")
        rig.profile = os.path.join(tmp, "profile-debian-12")
        made = subprocess.run([bam, "internal", "create-profile", "--root", pristine, rig.profile], text=True, capture_output=True)
        if made.returncode != 0:
            raise RuntimeError("bam internal create-profile --root: " + made.stdout + made.stderr)
        endpoint = access = secret = role = None
        if any(k.startswith("moto") for k in kinds):
            endpoint, access, secret, role = rig.moto()
        for kind in kinds:
            if kind == "moto-key":
                world = rig.hub_world(kind, endpoint, access, secret)
            elif kind == "moto-sts":
                world = rig.hub_world(kind, endpoint, access, secret, role=role)
            elif kind == "moto-iam":
                world = rig.hub_world(kind, endpoint, access, secret, iam_users=True)
            elif kind == "rclone-key":
                world = rig.hub_world(kind, *rig.rclone())
            else:
                raise RuntimeError("unknown region kind %s (moto-key, moto-sts, moto-iam, rclone-key)" % kind)
            client_steps(rig, world)
            whole_system_steps(rig, roots, world)
    finally:
        rig.stop_all()
    print("\ncompat: results")
    width = max(len(n) for _, n, _, _ in rig.results) if rig.results else 10
    for kind, name, verdict, reason in rig.results:
        first = summary(reason)[:160]
        print("  %-11s %-*s %-4s %s" % (kind, width, name, verdict, first))
    failed = [r for r in rig.results if r[2] != "pass"]
    print("compat: %d steps, %d passed, %d failed" % (len(rig.results), len(rig.results) - len(failed), len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
