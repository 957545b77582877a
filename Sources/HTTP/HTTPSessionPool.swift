#if canImport(Glibc)
import Glibc
#endif

/// Idle `HTTPSession`s for a client used from several threads: each
/// transfer takes a session of its own and gives it back when done, so a
/// handle is never used by two threads at once and connections are reused.
public final class HTTPSessionPool: @unchecked Sendable {
    private var idle: [HTTPSession] = []
    private let maxIdle: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init(maxIdle: Int = 16) {
        self.maxIdle = maxIdle
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        let session = try take()
        // A session whose transfer failed is dropped, not given back: its
        // connection may be in a bad state.
        let response = try session.perform(request)
        giveBack(session)
        return response
    }

    private func take() throws -> HTTPSession {
        pthread_mutex_lock(mutex)
        let session = idle.popLast()
        pthread_mutex_unlock(mutex)
        return try session ?? HTTPSession()
    }

    private func giveBack(_ session: HTTPSession) {
        pthread_mutex_lock(mutex)
        if idle.count < maxIdle { idle.append(session) }
        pthread_mutex_unlock(mutex)
    }
}
