import Foundation

/// The extras' `backup-conf`: what the backup was made with, as JSON with
/// the original's keys, read back at restore time (the appliance check,
/// what was skipped).
public struct BackupConfRecord: Codable, Equatable {
    public var profileID: String
    public var overrides: [String]
    public var skipFiles: Bool
    public var skipPackages: Bool
    public var skipDatabase: Bool

    enum CodingKeys: String, CodingKey {
        case profileID = "profile_id"
        case overrides
        case skipFiles = "skip_files"
        case skipPackages = "skip_packages"
        case skipDatabase = "skip_database"
    }

    public init(profileID: String, overrides: [String], skipFiles: Bool, skipPackages: Bool, skipDatabase: Bool) {
        self.profileID = profileID
        self.overrides = overrides
        self.skipFiles = skipFiles
        self.skipPackages = skipPackages
        self.skipDatabase = skipDatabase
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try Posix.writeFileAtomically(path, Array(try encoder.encode(self)) + [0x0a], mode: 0o600)
    }

    public static func load(_ path: String) throws -> BackupConfRecord {
        do {
            return try JSONDecoder().decode(BackupConfRecord.self, from: Data(try Posix.readFile(path)))
        } catch let error as BamError {
            throw error
        } catch {
            throw BamError.corrupt(what: path, reason: "not a backup-conf JSON object (\(error))")
        }
    }
}
