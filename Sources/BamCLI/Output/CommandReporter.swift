import BamEngine
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns engine progress into a single updating line on a terminal (stderr),
/// collects warnings, and prints the final summary as text or JSON.
final class CommandReporter: ProgressReporter {
    let json: Bool
    let live: Bool
    /// One line per phase and volume on stderr, for front ends that show
    /// a run's output as it comes (the Webmin module sets BAM_PROGRESS=lines).
    let lines: Bool
    private(set) var warnings: [String] = []
    private var files = 0
    private var bytes: Int64 = 0
    private var volumes = 0
    private var phase = ""
    private var lastDraw = 0.0
    private let started = Date()
    private let lock = NSLock()

    init(json: Bool, quiet: Bool) {
        self.json = json
        self.live = !quiet && isatty(2) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.lines = !quiet && !live && !json && ProcessInfo.processInfo.environment["BAM_PROGRESS"] == "lines"
    }

    var elapsed: Double { Date().timeIntervalSince(started) }

    func report(_ event: ProgressEvent) {
        lock.lock(); defer { lock.unlock() }
        switch event {
        case .phase(let name):
            phase = name; draw(force: true)
            if lines { FileHandle.standardError.write(Data("bam: \(name)...\n".utf8)) }
        case .item(_, let n): files += 1; bytes += n; draw(force: false)
        case .volume(let number, let size):
            volumes += 1; draw(force: true)
            if lines { FileHandle.standardError.write(Data("bam: volume \(number) done (\(ByteCount.format(size))), \(files) files so far\n".utf8)) }
        case .expected:
            // The terminal line shows counts; a percentage is the pages' business.
            break
        case .warning(let message):
            warnings.append(message)
            clearLine()
            if !json { FileHandle.standardError.write(Data("bam: warning: \(Posix.controlsEscaped(message))\n".utf8)) }
        }
    }

    private func draw(force: Bool) {
        guard live else { return }
        let now = Date().timeIntervalSinceReferenceDate
        if !force && now - lastDraw < 0.2 { return }
        lastDraw = now
        let line = String(format: "\r%@: %d files, %@, %d volumes, %.1fs\u{1b}[K", phase, files, ByteCount.format(bytes), volumes, elapsed)
        FileHandle.standardError.write(Data(line.utf8))
    }

    private func clearLine() {
        if live { FileHandle.standardError.write(Data("\r\u{1b}[K".utf8)) }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        clearLine()
    }

    /// Prints the summary: `fields` as a JSON object (with type, warnings
    /// and duration added) under --json, else `text` and the warnings count.
    func summary(_ fields: [(String, JSONValue)], text: String) {
        if json {
            var all: [(String, JSONValue)] = [("type", .string("summary"))]
            all += fields
            all.append(("duration_seconds", .double(elapsed)))
            all.append(("warnings", .array(warnings.map { .string($0) })))
            emitJSON(.object(all))
        } else {
            var out = text
            if !warnings.isEmpty { out += "\n\(warnings.count) warning(s), listed above" }
            print(out)
            fflush(stdout)
        }
    }

    func emitJSON(_ value: JSONValue) {
        print(value.rendered)
        fflush(stdout)
    }
}
