import BamEngine
import Foundation

/// Edits BAM_CONF/conf field by field: each field is checked with the
/// engine's own parser and its error shown next to it; the file is only
/// written when every field is valid.
enum OptionsPage {
    struct Field {
        let key: String
        let label: String
        let hint: String
        let isBoolean: Bool
    }

    static let fields: [Field] = [
        Field(key: "volsize", label: "Volume size (MiB)", hint: "whole number, default 25", isBoolean: false),
        Field(key: "s3-parallel-uploads", label: "Parallel S3 uploads", hint: "whole number, default 1", isBoolean: false),
        Field(key: "full-backup", label: "Full backup frequency", hint: "now, or an age like 1M, 2W, 14D", isBoolean: false),
        Field(
            key: "keep-full", label: "Keep full chains", hint: "the newest N full chains; blank with keep-within blank keeps all",
            isBoolean: false),
        Field(key: "keep-within", label: "Keep chains newer than", hint: "an age like 3M, 2W, 10D", isBoolean: false),
        Field(key: "restore-cache-size", label: "Restore cache size", hint: "50%, 1000MB or 2GB", isBoolean: false),
        Field(key: "restore-cache-dir", label: "Restore cache directory", hint: "an absolute path", isBoolean: false),
        Field(key: "force-profile", label: "Force profile", hint: "empty (compare with nothing), a profile directory, or blank to detect", isBoolean: false),
        Field(key: "backup-skip-files", label: "Skip files in backups", hint: "", isBoolean: true),
        Field(key: "backup-skip-packages", label: "Skip packages in backups", hint: "", isBoolean: true),
        Field(key: "backup-skip-database", label: "Skip databases in backups", hint: "", isBoolean: true),
    ]

    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.configure, "edit the options")
        let path = env.settings.confDirectory + "/" + BamConf.fileName
        var current: [String: String] = [:]
        var loadProblem: String?
        if Posix.fileExists(path) {
            do {
                let text = String(decoding: try Posix.readFile(path), as: UTF8.self)
                _ = try BamConf.parse(text, file: path)
                for line in text.split(separator: "\n") {
                    let t = line.trimmingCharacters(in: .whitespaces)
                    if t.isEmpty || t.hasPrefix("#") { continue }
                    let parts = t.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
                    if parts.count == 2 { current[String(parts[0])] = parts[1].trimmingCharacters(in: .whitespaces) }
                }
            } catch { loadProblem = "\(error)" }
        }
        guard env.request.isSubmission else {
            env.page(
                title: "Backup options", template: "options", ["fields": rows(current, errors: [:]), "path": path],
                help: "options", error: loadProblem)
            return
        }
        var submitted: [String: String] = [:]
        var errors: [String: String] = [:]
        var lines: [String] = []
        for field in fields {
            var value = (env.request.form.value(field.key) ?? "").trimmingCharacters(in: .whitespaces)
            if field.isBoolean { value = env.request.form.flag(field.key) ? "true" : "" }
            submitted[field.key] = value
            if value.isEmpty { continue }
            if value.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "#" }) {
                errors[field.key] = "one line, without #"
                continue
            }
            let line = "\(field.key) \(value)"
            do { _ = try BamConf.parse(line, file: field.label) } catch {
                errors[field.key] = "\(error)".replacingOccurrences(of: "\(field.label):1: ", with: "")
                continue
            }
            lines.append(line)
        }
        guard errors.isEmpty else {
            env.page(
                title: "Backup options", template: "options", ["fields": rows(submitted, errors: errors), "path": path],
                error: "Some fields are not valid; nothing was saved.")
            return
        }
        let text = "# bam options, saved by Webmin\n" + lines.map { $0 + "\n" }.joined()
        _ = try BamConf.parse(text, file: path)
        try Posix.makeDirectories(env.settings.confDirectory, mode: 0o755)
        try Posix.writeFileAtomically(path, Array(text.utf8), mode: 0o644)
        env.log.record(env.request, action: "options", type: "conf", object: path)
        env.page(
            title: "Backup options", template: "options", ["fields": rows(submitted, errors: [:]), "path": path],
            notice: "Saved \(path).")
    }

    static func rows(_ values: [String: String], errors: [String: String]) -> [[String: Any]] {
        fields.map { field in
            var row: [String: Any] = ["key": field.key, "label": field.label, "hint": field.hint, "value": values[field.key] ?? ""]
            if field.isBoolean { row["boolean"] = true; row["checked"] = ["true", "1", "yes"].contains((values[field.key] ?? "").lowercased()) }
            if let e = errors[field.key] { row["fieldError"] = e }
            return row
        }
    }
}

/// Edits BAM_CONF/overrides: limits one per line, checked by the engine's
/// parser (its error names the line) before the file is replaced.
enum OverridesPage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.configure, "edit the overrides")
        let path = env.settings.confDirectory + "/" + Overrides.fileName
        let current = Posix.fileExists(path) ? String(decoding: try Posix.readFile(path), as: UTF8.self) : ""
        guard env.request.isSubmission else {
            env.page(title: "Backup overrides", template: "overrides", ["text": current, "path": path], help: "overrides")
            return
        }
        var text = (env.request.form.value("overrides") ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        guard text.utf8.count <= 64 * 1024 else { throw PageRefusal("Refused", "the overrides are larger than 64 KiB") }
        do { _ = try Overrides.parse(text, file: "overrides") } catch {
            env.page(title: "Backup overrides", template: "overrides", ["text": text, "path": path], error: "\(error); nothing was saved.")
            return
        }
        try Posix.makeDirectories(env.settings.confDirectory, mode: 0o755)
        try Posix.writeFileAtomically(path, Array(text.utf8), mode: 0o644)
        env.log.record(env.request, action: "overrides", type: "conf", object: path)
        env.page(title: "Backup overrides", template: "overrides", ["text": text, "path": path], notice: "Saved \(path).")
    }
}

/// Shows the profile backups compare against (the registry's profile/).
enum ProfilePage {
    static func handle(_ env: PageEnvironment) throws {
        let directory = ProfileSource.registryProfile(env.registry)
        var values: [String: Any] = ["directory": directory]
        if Posix.fileExists(directory + "/" + DirIndexConf.fileName) {
            do {
                let profile = try Profile.load(directory)
                values["found"] = true
                values["conf"] = profile.conf.text
                values["packageCount"] = profile.packages.count
                values["packages"] = profile.packages.joined(separator: " ")
            } catch { values["problem"] = "\(error)" }
        }
        env.page(title: "Profile", template: "profile", values, help: "profile")
    }
}

/// Turns the daily backup on or off, in-process through the engine's
/// schedule use case.
enum SchedulePage {
    static func handle(_ env: PageEnvironment) throws {
        try env.requireRight(env.acl.backup && env.acl.configure, "change the daily backup")
        try env.requireSubmission("Changing the daily backup")
        let action: ScheduleRequest.Action
        switch env.request.form.value("daily") ?? "" {
        case "on": action = .on
        case "off": action = .off
        default: throw PageRefusal("Refused", "daily must be on or off")
        }
        var request = ScheduleRequest(action: action)
        request.root = env.settings.root
        env.log.record(env.request, action: "schedule", type: "backup", object: action.rawValue)
        env.showOperation(title: "Daily backup", what: "Turning the daily backup \(action.rawValue)") { warnings in
            try ScheduleUseCase(request, progress: warnings).run().text
        }
    }
}
