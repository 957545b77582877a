import Foundation
import SFTP
#if canImport(Glibc)
import Glibc
#endif

/// Small objects kept in memory: the target's lock (`TargetLock`). Each is
/// uploaded whole under a hidden name and renamed into place.
extension SFTPBackend {
    func hiddenTemporary(_ name: String) -> String {
        location.path(".\(name).bam-new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    }

    public func create(name: String, contents: [UInt8]) throws -> Bool {
        let final = try path(name)
        if try !createIsExclusive(), try head(name: name) != nil { return false }
        let temporary = hiddenTemporary(name)
        var request = SFTPRequest(path: temporary)
        request.uploadBytes = contents
        request.after = ["rename \(Self.q(temporary)) \(Self.q(final))"]
        do {
            try run(request)
            return true
        } catch let error as SFTPError where error.kind == .commandFailed {
            _ = try? run(commands(["*rm \(Self.q(temporary))"]), attempts: 1)
            if try head(name: name) != nil { return false }
            throw failure(error, "creating", name)
        } catch {
            throw failure(error, "creating", name)
        }
    }

    /// Probes once whether the server's rename refuses to replace a file
    /// (OpenSSH's does, on file systems with hard links): then renaming a
    /// complete temporary into place creates exclusively.
    public func createIsExclusive() throws -> Bool {
        exclusiveProbe.lock()
        defer { exclusiveProbe.unlock() }
        if let exclusive { return exclusive }
        let stem = ".bam-new-probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let first = location.path(stem + "-a")
        let second = location.path(stem + "-b")
        defer { _ = try? run(commands(["*rm \(Self.q(first))", "*rm \(Self.q(second))"]), attempts: 1) }
        var a = SFTPRequest(path: first)
        a.uploadBytes = Array("a".utf8)
        var b = SFTPRequest(path: second)
        b.uploadBytes = Array("b".utf8)
        b.after = ["rename \(Self.q(second)) \(Self.q(first))"]
        let result: Bool
        do {
            try run(a)
            do {
                try run(b)
                result = false
            } catch let error as SFTPError where error.kind == .commandFailed {
                var check = SFTPRequest(path: first)
                check.destination = .memory(limit: 16)
                result = try run(check).body == Array("a".utf8)
            }
        } catch {
            throw failure(error, "probing how the server renames", nil)
        }
        exclusive = result
        return result
    }

    public func read(name: String, limit: Int) throws -> [UInt8]? {
        var request = SFTPRequest(path: try path(name))
        request.destination = .memory(limit: limit)
        do {
            return try run(request).body
        } catch let error as SFTPError where error.kind == .notFound {
            return nil
        } catch let error as SFTPError where error.kind == .tooLarge {
            throw StorageError.failed(address: address, reason: "reading \(name): more than the \(limit) bytes expected")
        } catch {
            throw failure(error, "reading", name)
        }
    }

    public func write(name: String, contents: [UInt8]) throws {
        let final = try path(name)
        let temporary = hiddenTemporary(name)
        var request = SFTPRequest(path: temporary)
        request.uploadBytes = contents
        request.after = ["rename \(Self.q(temporary)) \(Self.q(final))"]
        do {
            try run(request)
        } catch let error as SFTPError where error.kind == .commandFailed {
            try replace(final: final, with: temporary, name: name)
        } catch {
            throw failure(error, "storing", name)
        }
    }
}
