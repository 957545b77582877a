#if canImport(Glibc)
import Glibc
#endif

/// Sessions to one endpoint, for a backend used from several threads: each
/// operation takes a session (an SSH connection) of its own and gives it
/// back when done, so transfers run in parallel, each connection is used by
/// one thread at a time, and connections are reused.
///
/// Parallel where the server allows: when the server refuses one more
/// connection while others are open (OpenSSH's MaxStartups, a per-user
/// limit), the pool keeps to the connections it has from then on, and the
/// operation waits for one of them instead of failing.
public final class SFTPSessionPool: @unchecked Sendable {
    public let endpoint: SFTPEndpoint
    private var idle: [SFTPSession] = []
    /// Sessions in existence, idle or busy.
    private var open = 0
    /// At most this many sessions: lowered when the server refuses more.
    public private(set) var connectionLimit = Int.max
    private let maxIdle: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let returned = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init(endpoint: SFTPEndpoint, maxIdle: Int = 16) {
        self.endpoint = endpoint
        self.maxIdle = maxIdle
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(returned, nil)
    }

    deinit {
        pthread_cond_destroy(returned)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        returned.deallocate()
    }

    public func perform(_ request: SFTPRequest) throws -> SFTPResponse {
        pthread_mutex_lock(mutex)
        while idle.isEmpty && open >= connectionLimit { pthread_cond_wait(returned, mutex) }
        let reused = idle.popLast()
        if reused == nil { open += 1 }
        let othersOpen = open - 1
        pthread_mutex_unlock(mutex)

        let session: SFTPSession
        do { session = try reused ?? SFTPSession(endpoint: endpoint) } catch {
            drop(limitTo: nil)
            throw error
        }
        do {
            let response = try session.perform(request)
            giveBack(session)
            return response
        } catch let error as SFTPError {
            // A failed command leaves the connection sound; anything else
            // may have broken it, so that session is dropped.
            if [.commandFailed, .notFound, .beyondEnd, .tooLarge].contains(error.kind) {
                giveBack(session)
                throw error
            }
            let refusedConnection = reused == nil && othersOpen > 0 && [.couldNotConnect, .connectionLost, .other].contains(error.kind)
            drop(limitTo: refusedConnection ? othersOpen : nil)
            if refusedConnection { return try perform(request) }
            throw error
        }
    }

    private func giveBack(_ session: SFTPSession) {
        pthread_mutex_lock(mutex)
        if idle.count < maxIdle { idle.append(session) } else { open -= 1 }
        pthread_cond_signal(returned)
        pthread_mutex_unlock(mutex)
    }

    /// Forgets a session that failed; `limitTo` lowers the connection limit.
    private func drop(limitTo limit: Int?) {
        pthread_mutex_lock(mutex)
        open -= 1
        if let limit { connectionLimit = max(1, min(connectionLimit, limit)) }
        pthread_cond_broadcast(returned)
        pthread_mutex_unlock(mutex)
    }
}
