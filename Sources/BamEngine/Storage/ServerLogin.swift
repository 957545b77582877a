import HTTP

/// The user and password for a file server target (`webdav://`, `ftps://`),
/// never from argv: the user from the address, else `BAM_<KIND>_USER`,
/// else the registry's `credentials` file (`<kind>-user=`); the password
/// from `BAM_<KIND>_PASSWORD`, else `<kind>-password=` in that file.
/// `kind` is `webdav` or `ftp`.
enum ServerLogin {
    /// Nil when neither a user nor a password is given anywhere (an
    /// anonymous server).
    static func load(
        kind: String, addressUser: String?, environment: [String: String], registry: Registry
    ) throws -> HTTPCredentials? {
        let variable = "BAM_\(kind.uppercased())"
        let path = registry.path + "/credentials"
        let file = try KeyValueLines.read(path) ?? [:]
        func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        let user = addressUser ?? nonEmpty(environment[variable + "_USER"]) ?? nonEmpty(file["\(kind)-user"])
        let password = nonEmpty(environment[variable + "_PASSWORD"]) ?? nonEmpty(file["\(kind)-password"])
        switch (user, password) {
        case (nil, nil): return nil
        case let (user?, password?): return HTTPCredentials(user: user, password: password)
        case let (user?, nil):
            throw BamError.invalid("no password for \(kind) user \(user): set \(variable)_PASSWORD or write \(kind)-password= to \(path)")
        case (nil, _?):
            throw BamError.invalid("a \(kind) password is set but no user: put USER@ in the address, set \(variable)_USER or write \(kind)-user= to \(path)")
        }
    }
}
