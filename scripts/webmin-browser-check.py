#!/usr/bin/env python3
"""webmin-browser-check.py MODULE_DIR WEBMIN_CONFIG WEBMIN_VAR OUT_DIR

Browser check of the bam Webmin module without Webmin: a small CGI server
on 127.0.0.1 runs the module's *.cgi the way miniserv does (fresh
environment with REMOTE_USER, WEBMIN_CONFIG, WEBMIN_VAR, SESSION_ID, every
request header as HTTP_*, cwd the module directory, output streamed as it
comes; `Location:` gives a 302). Headless Chromium, driven over
--remote-debugging-pipe (DevTools protocol, stdlib only), loads each page,
saves a screenshot to OUT_DIR, then clicks Run Backup on the index and
waits for the streamed result. Prints one line per check; exit 1 on any failure.
"""
import base64, http.server, json, os, select, shutil, socketserver, subprocess, sys, tempfile, threading, time

MODULE, CONFIG, VAR, OUT = sys.argv[1:5]
PAGES = ["index.cgi", "init.cgi", "restore.cgi", "rollback.cgi", "passphrase.cgi", "escrow.cgi",
         "options.cgi", "overrides.cgi", "profile.cgi"]


class CGIHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.run()

    def do_POST(self):
        self.run()

    def run(self):
        path, _, query = self.path.partition("?")
        if not path.startswith("/bam/"):
            return self.send_error(404)
        name = path[len("/bam/"):] or "index.cgi"
        full = os.path.join(MODULE, name)
        if "/" in name or not os.path.exists(full):
            return self.send_error(404)
        if not name.endswith(".cgi"):
            with open(full, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GATEWAY_INTERFACE": "CGI/1.1",
               "SERVER_SOFTWARE": "MiniServ/test", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": str(self.server.server_address[1]), "SERVER_PROTOCOL": "HTTP/1.0",
               "REQUEST_METHOD": self.command, "QUERY_STRING": query, "SCRIPT_NAME": path,
               "SCRIPT_FILENAME": full, "REQUEST_URI": self.path, "REMOTE_ADDR": self.client_address[0],
               "REMOTE_USER": "admin", "BASE_REMOTE_USER": "admin", "SESSION_ID": "browsercheck0001",
               "WEBMIN_CONFIG": CONFIG, "WEBMIN_VAR": VAR, "HOME": VAR}
        if self.command == "POST":
            env["CONTENT_LENGTH"] = str(len(body))
            env["CONTENT_TYPE"] = self.headers.get("Content-Type", "")
        for k, v in self.headers.items():
            env["HTTP_" + k.upper().replace("-", "_")] = v
        p = subprocess.Popen([full], cwd=MODULE, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL)
        p.stdin.write(body)
        p.stdin.close()
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = p.stdout.read1(65536)
            if not chunk:
                break
            head += chunk
        header_text, _, rest = head.partition(b"\r\n\r\n")
        headers = [l.split(": ", 1) for l in header_text.decode().split("\r\n") if ": " in l]
        location = [v for k, v in headers if k.lower() == "location"]
        self.send_response(302 if location else 200)
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(rest)
        self.wfile.flush()
        while True:
            chunk = p.stdout.read1(65536)
            if not chunk:
                break
            self.wfile.write(chunk)
            self.wfile.flush()
        p.wait()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class Chromium:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="bam-chromium-")
        r_cmd, self.w_cmd = os.pipe()
        self.r_res, w_res = os.pipe()
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            sys.exit("FAIL chromium is not installed (scripts/install-deps.sh installs it)")

        def fds():
            # Chromium reads commands on fd 3 and answers on fd 4. Copy
            # first so that neither dup2 overwrites the other's source; the
            # copies dup2 makes are inheritable, the originals close on exec.
            a, b = os.dup(r_cmd), os.dup(w_res)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen([exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                                      f"--user-data-dir={self.profile}", "--window-size=1200,900", "--no-first-run",
                                      "--hide-scrollbars", "--disable-dev-shm-usage", "about:blank"],
                                     preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(r_cmd)
        os.close(w_res)
        self.next_id = 0
        self.buffer = b""
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)

    def send(self, method, params, session):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self.w_cmd, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read(self, timeout):
        while b"\0" not in self.buffer:
            ready, _, _ = select.select([self.r_res], [], [], timeout)
            if not ready:
                raise TimeoutError("chromium did not answer")
            data = os.read(self.r_res, 1 << 20)
            if not data:
                raise EOFError("chromium exited")
            self.buffer += data
        raw, _, self.buffer = self.buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method, params=None, session=False, timeout=30):
        want = self.send(method, params, session)
        while True:
            msg = self.read(timeout)
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_load(self, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            for i, e in enumerate(self.events):
                if e.get("method") == "Page.loadEventFired":
                    del self.events[: i + 1]
                    return
            self.events.append(self.read(end - time.time()))
        raise TimeoutError("page did not load")

    def eval(self, js):
        return self.call("Runtime.evaluate", {"expression": js, "returnByValue": True}, session=True)["result"].get("value")

    def shot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    server = Server(("127.0.0.1", 0), CGIHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/bam/"
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += 0 if ok else 1

    browser = Chromium()
    try:
        def open_from_index(page):
            # As a person does: the index first, then the page from it, so
            # the browser sends the module's own page as Referer.
            browser.events.clear()
            browser.call("Page.navigate", {"url": base + "index.cgi"}, session=True)
            browser.wait_load()
            browser.events.clear()
            browser.eval(f"location.href = {json.dumps(page)}")
            browser.wait_load()

        for page in PAGES:
            open_from_index(page)
            title = browser.eval("document.querySelector('[data-main_title]') ? document.querySelector('[data-main_title]').textContent : ''")
            refused = browser.eval("!!document.getElementById('refused')")
            browser.shot(os.path.join(OUT, page.replace(".cgi", ".png")))
            check(bool(title) and not refused, f"{page} loads (title {title!r})")
        # Typed into the address bar (no Referer): Webmin's Referer rule refuses it.
        browser.events.clear()
        browser.call("Page.navigate", {"url": base + "options.cgi"}, session=True)
        browser.wait_load()
        browser.shot(os.path.join(OUT, "referer-refused.png"))
        check(browser.eval("!!document.getElementById('refused')"), "options.cgi without a Referer is refused")
        browser.events.clear()
        browser.call("Page.navigate", {"url": base + "index.cgi"}, session=True)
        browser.wait_load()
        browser.events.clear()
        browser.eval("document.getElementById('run-backup').click()")
        browser.wait_load(timeout=60)
        check(browser.eval("location.pathname") == "/bam/backup.cgi", "the backup form posted to backup.cgi")
        check(browser.eval("!!document.getElementById('job')"), "the backup started a job and shows its page")
        browser.shot(os.path.join(OUT, "backup-job.png"))
        # The job page reloads itself (meta refresh to job.cgi) until the job ends.
        state = "none"
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                state = browser.eval("document.getElementById('job') ? document.getElementById('job').dataset.state : 'none'")
            except Exception:
                state = "loading"
            if state == "finished":
                break
            time.sleep(0.5)
        status = browser.eval("document.getElementById('result') ? document.getElementById('result').dataset.status : 'none'")
        lines = browser.eval("document.getElementById('output') ? document.getElementById('output').textContent : ''") or ""
        browser.shot(os.path.join(OUT, "backup-finished.png"))
        check(status == "0", f"Run Backup's job finishes (state {state}, exit {status}); output: {lines.strip()[-200:]!r}")
        browser.events.clear()
        browser.call("Page.navigate", {"url": base + "index.cgi"}, session=True)
        browser.wait_load()
        check(browser.eval("!!document.getElementById('last-jobs')"), "the index lists the finished run")
    finally:
        browser.close()
        server.shutdown()
    print(f"screenshots in {OUT}")
    sys.exit(1 if failures else 0)


main()
