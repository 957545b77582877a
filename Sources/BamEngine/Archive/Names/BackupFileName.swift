/// The name of one object of a duplicity archive, parsed or to be written.
/// Names that do not parse are not part of any archive and are ignored.
public struct BackupFileName: Equatable, Hashable {
    public enum Kind: Hashable {
        case volume(Int)
        case manifest
        case signatures
    }

    public let kind: Kind
    /// True for incremental sets (and new-signatures).
    public let incremental: Bool
    /// The previous set's end time (incrementals only).
    public let start: Int64?
    /// The set's time (full) or its end time (incremental).
    public let end: Int64
    public let encrypted: Bool

    public init(kind: Kind, incremental: Bool, start: Int64?, end: Int64, encrypted: Bool = true) {
        self.kind = kind
        self.incremental = incremental
        self.start = start
        self.end = end
        self.encrypted = encrypted
    }

    public var name: String {
        let time = incremental ? "\(BackupTime.format(start ?? 0)).to.\(BackupTime.format(end))" : BackupTime.format(end)
        switch kind {
        case .volume(let n):
            return "duplicity-\(incremental ? "inc" : "full").\(time).vol\(n).difftar" + (encrypted ? ".gpg" : ".gz")
        case .manifest:
            return "duplicity-\(incremental ? "inc" : "full").\(time).manifest" + (encrypted ? ".gpg" : "")
        case .signatures:
            return "duplicity-\(incremental ? "new" : "full")-signatures.\(time).sigtar" + (encrypted ? ".gpg" : ".gz")
        }
    }

    /// The same name without encryption suffix, as kept in the local cache.
    public var plainCacheName: String {
        switch kind {
        case .manifest: return BackupFileName(kind: kind, incremental: incremental, start: start, end: end, encrypted: false).name
        case .signatures:
            let n = BackupFileName(kind: kind, incremental: incremental, start: start, end: end, encrypted: false).name
            return String(n.dropLast(3))  // plain tar, not gzip
        case .volume: return name
        }
    }

    public static func parse(_ name: String) -> BackupFileName? {
        var rest = Substring(name)
        func drop(_ prefix: String) -> Bool {
            if rest.hasPrefix(prefix) { rest = rest.dropFirst(prefix.count); return true }
            return false
        }
        var encrypted = false
        var kindWord: String
        if drop("duplicity-full-signatures.") {
            kindWord = "fullsig"
        } else if drop("duplicity-new-signatures.") {
            kindWord = "newsig"
        } else if drop("duplicity-full.") {
            kindWord = "full"
        } else if drop("duplicity-inc.") {
            kindWord = "inc"
        } else {
            return nil
        }
        let incremental = kindWord == "inc" || kindWord == "newsig"
        var start: Int64?
        guard rest.count >= 16, let first = BackupTime.parse(String(rest.prefix(16))) else { return nil }
        rest = rest.dropFirst(16)
        var end = first
        if incremental {
            guard drop(".to."), rest.count >= 16, let second = BackupTime.parse(String(rest.prefix(16))) else { return nil }
            rest = rest.dropFirst(16)
            start = first
            end = second
        }
        let kind: Kind
        if kindWord == "fullsig" || kindWord == "newsig" {
            if rest == ".sigtar.gpg" { encrypted = true } else if rest == ".sigtar.gz" || rest == ".sigtar" { encrypted = false } else { return nil }
            kind = .signatures
        } else if rest == ".manifest.gpg" {
            kind = .manifest; encrypted = true
        } else if rest == ".manifest" {
            kind = .manifest
        } else if drop(".vol") {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard let n = Int(digits), n >= 1 else { return nil }
            rest = rest.dropFirst(digits.count)
            if rest == ".difftar.gpg" { encrypted = true } else if rest == ".difftar.gz" || rest == ".difftar" { encrypted = false } else { return nil }
            kind = .volume(n)
        } else {
            return nil
        }
        return BackupFileName(kind: kind, incremental: incremental, start: start, end: end, encrypted: encrypted)
    }
}
