/// The environment a job's runner gets: the request's, without Webmin's
/// session secrets (hooks the engine runs inherit it), plus the module's
/// paths for anything that reads them.
enum JobEnvironment {
    /// Never passed on: the Webmin session id and password, the browser's
    /// cookies and credentials.
    static let withheld: Set<String> = ["SESSION_ID", "REMOTE_PASS", "HTTP_COOKIE", "HTTP_AUTHORIZATION"]

    static func make(settings: ModuleSettings, request: [String: String]) -> [String: String] {
        var env = request.filter { !withheld.contains($0.key) }
        env["BAM_REGISTRY"] = settings.registry
        env["BAM_CONF"] = settings.confDirectory
        env["BAM_CACHE"] = settings.cacheDirectory
        if let hub = settings.hubURL { env["BAM_HUB_URL"] = hub }
        if env["PATH"] == nil { env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" }
        return env
    }
}
