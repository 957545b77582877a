#if canImport(Glibc)
import Glibc
#endif

/// Idle `SFTPSession`s to one endpoint, for a backend used from several
/// threads: each operation takes a session (an SSH connection) of its own
/// and gives it back when done, so transfers run in parallel, each
/// connection is used by one thread at a time, and connections are reused.
public final class SFTPSessionPool: @unchecked Sendable {
    public let endpoint: SFTPEndpoint
    private var idle: [SFTPSession] = []
    private let maxIdle: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init(endpoint: SFTPEndpoint, maxIdle: Int = 16) {
        self.endpoint = endpoint
        self.maxIdle = maxIdle
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func perform(_ request: SFTPRequest) throws -> SFTPResponse {
        pthread_mutex_lock(mutex)
        let reused = idle.popLast()
        pthread_mutex_unlock(mutex)
        let session = try reused ?? SFTPSession(endpoint: endpoint)
        do {
            let response = try session.perform(request)
            giveBack(session)
            return response
        } catch let error as SFTPError {
            // A failed command leaves the connection sound; anything else
            // may have broken it, so that session is dropped.
            if error.kind == .commandFailed || error.kind == .notFound || error.kind == .beyondEnd || error.kind == .tooLarge {
                giveBack(session)
            }
            throw error
        }
    }

    private func giveBack(_ session: SFTPSession) {
        pthread_mutex_lock(mutex)
        if idle.count < maxIdle { idle.append(session) }
        pthread_mutex_unlock(mutex)
    }
}
