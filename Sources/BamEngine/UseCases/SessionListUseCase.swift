/// The backup sessions on a target, for choosing what to restore: every
/// complete set of every chain (its time, full or incremental, volumes and
/// stored size), newest first. Reads only the target's listing: no key is
/// needed, nothing is decrypted.
public struct SessionListRequest: Codable, Sendable, Equatable {
    public var registry: String
    /// The target; nil for the registry's backup address.
    public var address: String?
    public var access = TargetAccess()

    public init(registry: String, address: String? = nil) {
        self.registry = registry
        self.address = address
    }
}

public struct BackupSession: Codable, Sendable, Equatable {
    /// When the session ended: the time to restore to get its state.
    public var time: Int64
    public var incremental: Bool
    public var volumes: Int
    public var storedBytes: Int64

    enum CodingKeys: String, CodingKey {
        case time, incremental, volumes
        case storedBytes = "stored_bytes"
    }
}

public struct SessionList: Codable, Sendable {
    public var address: String
    public var sessions: [BackupSession]
    /// Sets without a manifest (an interrupted run) or cut off from their
    /// chain: they cannot be restored.
    public var incompleteSets: Int

    enum CodingKeys: String, CodingKey {
        case address, sessions
        case incompleteSets = "incomplete_sets"
    }
}

public struct SessionListUseCase {
    public let request: SessionListRequest

    public init(_ request: SessionListRequest) { self.request = request }

    public func run() throws -> SessionList {
        let registry = Registry(path: request.registry)
        let address = try request.address ?? RegistryBackupAddress.load(registry)
        let backend = try StorageRegistry.open(address: address, options: request.access.openOptions(registryPath: request.registry))
        let resolver = ChainResolver(objects: try backend.list())
        let sessions = resolver.chains.flatMap(\.sets).map {
            BackupSession(time: $0.end, incremental: $0.incremental, volumes: $0.volumes.count, storedBytes: $0.storedSize)
        }
        return SessionList(address: address, sessions: sessions.sorted { $0.time > $1.time }, incompleteSets: resolver.strays.count)
    }
}
