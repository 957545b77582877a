import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who holds a target's lock: the content of the lock object, as lines of
/// `key=value` under a fixed first line. The object comes from a target
/// others can write, so `parse` accepts only what bam itself writes
/// (printable ASCII, bounded sizes and numbers); anything else is not a
/// holder bam can describe, and the lock is then reported, not guessed at.
public struct TargetLockHolder: Equatable, Sendable {
    /// Random, per run: tells one holder from another (a pid is reused).
    public var id: String
    public var host: String
    /// The kernel's boot id: with `host`, says the pid is one of this
    /// machine's processes since its last start.
    public var bootID: String
    public var pid: Int32
    /// What the holder does (`backup`).
    public var operation: String
    /// The holder's program and version (`bam 0.1.0`).
    public var program: String
    /// When the holder took the lock, in seconds since the epoch.
    public var started: Int64
    /// When the holder last said it was alive.
    public var heartbeat: Int64

    static let firstLine = "bam target lock 1"
    /// Larger objects are not a lock bam wrote.
    public static let sizeLimit = 4096

    /// This process, taking a lock at `now`.
    public static func current(operation: String, program: String, now: Int64) -> TargetLockHolder {
        var id: [UInt8] = []
        for _ in 0..<16 { id.append(UInt8.random(in: 0...255)) }
        return TargetLockHolder(
            id: Hex.lowercase(id), host: thisHost(), bootID: thisBootID(), pid: getpid(),
            operation: printable(operation, limit: 32), program: printable(program, limit: 64),
            started: now, heartbeat: now)
    }

    /// This machine's name, as it will parse back.
    static func thisHost() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        let name = printable(String(cString: buffer), limit: 255)
        return name.isEmpty ? "unknown" : name
    }

    static func thisBootID() -> String {
        let text = (try? Posix.readFile("/proc/sys/kernel/random/boot_id")).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return printable(text.trimmingCharacters(in: .whitespacesAndNewlines), limit: 64)
    }

    /// `text` with anything but printable ASCII replaced, at most `limit` long.
    private static func printable(_ text: String, limit: Int) -> String {
        String(text.unicodeScalars.prefix(limit).map { (0x20...0x7e).contains($0.value) ? Character($0) : "?" })
    }

    public func render() -> [UInt8] {
        Array(
            """
            \(Self.firstLine)
            id=\(id)
            host=\(host)
            boot=\(bootID)
            pid=\(pid)
            operation=\(operation)
            program=\(program)
            started=\(started)
            heartbeat=\(heartbeat)

            """.utf8)
    }

    /// The holder the bytes describe, or nil when they are not a lock bam
    /// wrote (wrong first line, a missing or out-of-range field, a byte
    /// outside printable ASCII, too long).
    public static func parse(_ bytes: [UInt8]) -> TargetLockHolder? {
        guard bytes.count <= sizeLimit,
            bytes.allSatisfy({ (0x20...0x7e).contains($0) || $0 == 0x0a })
        else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.first == Substring(firstLine) else { return nil }
        var fields: [Substring: Substring] = [:]
        for line in lines.dropFirst() {
            guard let equals = line.firstIndex(of: "=") else { return nil }
            fields[line[..<equals]] = line[line.index(after: equals)...]
        }
        func text(_ key: Substring, _ limit: Int, empty: Bool = false) -> String? {
            guard let value = fields[key], value.count <= limit, empty || !value.isEmpty else { return nil }
            return String(value)
        }
        // Times before 2000 or after 3000 are no time bam wrote.
        func time(_ key: Substring) -> Int64? {
            guard let value = fields[key], let t = Int64(value), (946_684_800...32_503_680_000).contains(t) else { return nil }
            return t
        }
        guard let id = text("id", 64), id.count >= 16, id.allSatisfy({ $0.isHexDigit }),
            let host = text("host", 255), let bootID = text("boot", 64, empty: true),
            let pidText = fields["pid"], let pid = Int32(pidText), pid > 0,
            let operation = text("operation", 32), let program = text("program", 64),
            let started = time("started"), let heartbeat = time("heartbeat")
        else { return nil }
        return TargetLockHolder(
            id: id, host: host, bootID: bootID, pid: pid, operation: operation,
            program: program, started: started, heartbeat: heartbeat)
    }

    /// For messages: `pid 42 on web1 (bam 0.1.0 backup) since 2026-12-03
    /// 18:00:00 UTC, last heartbeat 12 s ago`. Every part was checked to be
    /// printable ASCII by `parse` (or made so by `current`).
    public func describe(now: Int64) -> String {
        let age = now - heartbeat
        let ago = age < 0 ? "in the future (clocks differ)" : age < 120 ? "\(age) s ago" : "\(age / 60) min ago"
        return "pid \(pid) on \(host) (\(program) \(operation)) since \(BackupTime.display(started)), last heartbeat \(ago)"
    }
}
