#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's entry points. One binary holds every target; the
/// BAM_FUZZ_TARGET environment variable names the one a run exercises
/// (scripts/fuzz.sh sets it), so a reproducer runs as
/// `BAM_FUZZ_TARGET=tar bam-fuzz crash-…`.
nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let name = getenv("BAM_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: " ")
        fputs("bam-fuzz: set BAM_FUZZ_TARGET to one of: \(names)\n", stderr)
        exit(64)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected?.run(input)
    return 0
}
