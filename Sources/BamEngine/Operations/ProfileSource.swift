/// Finds the profile a whole-system backup compares against: forced
/// (`--force-profile` or conf's `force-profile`: `empty` or a profile
/// directory), else the one stored in the registry's `profile/`. A backup
/// linked to a Hub first downloads its profile there
/// (`HubSession.updateProfile`).
public enum ProfileSource {
    public static func registryProfile(_ registry: Registry) -> String { registry.path + "/profile" }

    /// The profile and a label for it (`empty`, its directory).
    public static func load(forced: String?, registry: Registry) throws -> (profile: Profile, label: String) {
        if let forced, !forced.isEmpty {
            if forced == ProfileID.empty { return (Profile.empty(), ProfileID.empty) }
            if forced.hasPrefix("/") || forced.hasPrefix(".") || Posix.fileExists(forced) {
                return (try Profile.load(forced), forced)
            }
            throw BamError.invalid("profile '\(forced)' is not available here (profiles by id need the Hub; give a profile directory or 'empty')")
        }
        let stored = registryProfile(registry)
        guard Posix.fileExists(stored + "/" + DirIndexConf.fileName) else {
            throw BamError.invalid(
                "no profile in \(stored): make one from a pristine root with 'bam internal create-profile --root DIR \(stored)', or use --force-profile DIR|empty"
            )
        }
        return (try Profile.load(stored), stored)
    }
}
