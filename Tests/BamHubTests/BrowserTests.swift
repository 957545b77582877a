import BamTestSupport
import Foundation
import Testing

/// The web pages in a real browser: headless Chromium driven over the
/// DevTools protocol (a few CDP messages over a websocket from python3's
/// python3-websocket). The browser signs in by typing into the form and
/// clicking, follows links, deletes a backup through the confirmation page
/// and rotates the API key; screenshots go to artifacts/ (gitignored).
@Suite("Hub web pages in Chromium", .serialized, .needs(.browser))
struct BrowserTests {
    static let driver = #"""
        import json, os, subprocess, sys, tempfile, time, urllib.request, base64, re, shutil
        import websocket

        hub, email, apikey, artifacts = sys.argv[1:5]
        profile = tempfile.mkdtemp(prefix="bam-hub-chromium-")
        browser = subprocess.Popen(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                    "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                                    "--user-data-dir=" + profile, "--window-size=1200,900", "about:blank"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        result = {}
        try:
            port = None
            deadline = time.time() + 60
            while time.time() < deadline and port is None:
                line = browser.stderr.readline()
                if not line and browser.poll() is not None:
                    raise SystemExit("chromium exited before DevTools started")
                m = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
                if m: port = int(m.group(1))
            if port is None: raise SystemExit("chromium printed no DevTools address")
            pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port))
            page = next(p for p in pages if p["type"] == "page")
            ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
            counter = [0]
            class Navigating(Exception): pass
            def call(method, **params):
                counter[0] += 1
                ws.send(json.dumps({"id": counter[0], "method": method, "params": params}))
                while True:
                    msg = json.loads(ws.recv())
                    if msg.get("id") == counter[0]:
                        if "error" in msg:
                            # The page navigated while the call ran (a busy machine
                            # makes this likelier): not a failure of the page.
                            if "navigated or closed" in msg["error"].get("message", ""): raise Navigating(method)
                            raise SystemExit("%s: %s" % (method, msg["error"]))
                        return msg.get("result", {})
            def js(expr):
                # A read is asked again once the navigation is over.
                deadline = time.time() + 20
                while True:
                    try:
                        r = call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
                        break
                    except Navigating:
                        if time.time() > deadline: raise SystemExit("the page kept navigating during %s" % expr)
                        time.sleep(0.1)
                if "exceptionDetails" in r: raise SystemExit("JS error in %s: %s" % (expr, r["exceptionDetails"]))
                return r["result"].get("value")
            def click(element):
                # A click that navigates may end its own call: never click twice.
                try: r = call("Runtime.evaluate", expression=element + ".click()", returnByValue=True)
                except Navigating: return
                if "exceptionDetails" in r: raise SystemExit("JS error clicking %s: %s" % (element, r["exceptionDetails"]))
            def wait_for(path):
                deadline = time.time() + 20
                while time.time() < deadline:
                    try:
                        if js("location.pathname") == path and js("document.readyState") == "complete": return
                    except SystemExit: pass
                    time.sleep(0.1)
                raise SystemExit("page %s did not load (at %s)" % (path, js("location.href")))
            def shot(name):
                data = call("Page.captureScreenshot", format="png")["data"]
                with open(os.path.join(artifacts, name), "wb") as f: f.write(base64.b64decode(data))
            call("Page.enable"); call("Runtime.enable")
            call("Page.navigate", url=hub + "/servers")
            wait_for("/signin")
            result["redirectedToSignin"] = True
            js("document.getElementById('email').value = %s" % json.dumps(email))
            js("document.getElementById('apikey').value = %s" % json.dumps(apikey))
            shot("hub-signin.png")
            click("document.getElementById('signin')")
            wait_for("/servers")
            shot("hub-servers.png")
            result["serversText"] = js("document.body.innerText")
            result["cookieVisibleToScript"] = "bam_hub_session" in js("document.cookie")
            click("[...document.querySelectorAll('a[href^=\"/backups/\"]')].find(a => a.innerText.includes('wordpress'))")
            deadline = time.time() + 20
            while not re.match(r"^/backups/\d+$", js("location.pathname") or "") and time.time() < deadline: time.sleep(0.1)
            wait_for(js("location.pathname"))
            shot("hub-backup.png")
            result["backupText"] = js("document.body.innerText")
            click("document.getElementById('delete-link')")
            deadline = time.time() + 20
            while not (js("location.pathname") or "").endswith("/delete") and time.time() < deadline: time.sleep(0.1)
            wait_for(js("location.pathname"))
            shot("hub-delete.png")
            click("document.getElementById('confirm-delete')")
            wait_for("/servers")
            result["serversAfterDelete"] = js("document.body.innerText")
            click("document.getElementById('nav-account')")
            wait_for("/account")
            click("document.getElementById('rotate-apikey')")
            deadline = time.time() + 20
            while time.time() < deadline and not js("!!document.getElementById('new-apikey')"): time.sleep(0.1)
            shot("hub-account.png")
            result["newApiKey"] = js("document.getElementById('new-apikey').innerText")
            ws.close()
        finally:
            browser.terminate()
            try: browser.wait(10)
            except subprocess.TimeoutExpired: browser.kill()
            shutil.rmtree(profile, ignore_errors=True)
        print(json.dumps(result))
        """#

    @Test("sign in, browse, delete a backup and rotate the key in headless Chromium")
    func chromium() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") else {
            throw TestServerError(description: "chromium is not installed (scripts/install-deps.sh installs it)")
        }
        let w = try WebTests.world(.sqlite)
        let artifacts = HubTestServer.packageRoot + "/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let process = Process()
        // Debian's python3: python3-websocket is a Debian package.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.driver, w.hub.baseURL, "web@example.com", w.apiKey, artifacts]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: errData, as: UTF8.self))")
        let result = try #require(
            try JSONSerialization.jsonObject(with: outData) as? [String: Any],
            "driver printed: \(String(decoding: outData, as: UTF8.self)) \(String(decoding: errData, as: UTF8.self))")
        #expect(result["redirectedToSignin"] as? Bool == true)
        let servers = try #require(result["serversText"] as? String)
        #expect(servers.contains("Server web-1"))
        #expect(servers.contains("1 full, 1 incremental"))
        #expect(servers.contains("backup in progress"))
        #expect(servers.contains("<script>alert(1)</script>"))  // shown as text, not run
        #expect(result["cookieVisibleToScript"] as? Bool == false)
        let backup = try #require(result["backupText"] as? String)
        #expect(backup.contains("incremental") && backup.contains("download key packet"))
        #expect(!((result["serversAfterDelete"] as? String) ?? "Server web-1").contains("Server web-1"))
        let newKey = try #require(result["newApiKey"] as? String)
        #expect(APIKeyFormatTests.originalClientAccepts(newKey), "\(newKey)")
        #expect(try w.hub.call("GET", "/api/backup/subkey/", form: ["apikey": newKey]).status == 200)
        for name in ["hub-signin.png", "hub-servers.png", "hub-backup.png", "hub-delete.png", "hub-account.png"] {
            #expect(FileManager.default.fileExists(atPath: artifacts + "/" + name), "\(name)")
        }
    }
}
