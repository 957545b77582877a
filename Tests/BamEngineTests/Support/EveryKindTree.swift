@testable import BamEngine
#if canImport(Glibc)
import Glibc
#endif

/// Fills `area` of `tree` with every kind of entry the archive must carry.
func populateEveryKind(_ tree: TestTree, area: String) throws {
    func p(_ s: String) -> [UInt8] { Array("\(area)/\(s)".utf8) }
    func raw(_ bytes: [UInt8]) -> [UInt8] { Array("\(area)/".utf8) + bytes }
    try tree.directory(Array(area.utf8), mode: 0o755)
    try tree.file(p("empty"), [])
    try tree.file(p("small.txt"), Array("hello, world\n".utf8), mode: 0o600, mtime: 1_234_567_890)
    try tree.file(p("exact64k.bin"), testBytes(65_536, seed: 2))
    try tree.file(p("exact128k.bin"), testBytes(131_072, seed: 3))
    try tree.file(p("under64k.bin"), testBytes(65_535, seed: 4))
    try tree.file(p("big/over-volume.bin"), testBytes(2_600_000, seed: 5), mode: 0o640)
    try tree.file(p("big/text.log"), Array(String(repeating: "log line with some words\n", count: 60_000).utf8))
    try tree.directory(p("dirs/a/b/c"), mode: 0o700, mtime: 1_500_000_000)
    try tree.directory(p("dirs/sticky"), mode: 0o1777)
    try tree.file(p("modes/suid"), Array("#!/bin/sh\n".utf8), mode: 0o4755)
    try tree.file(p("modes/sgid"), Array("x".utf8), mode: 0o2755)
    try tree.file(p("modes/none"), Array("x".utf8), mode: 0o000)
    try tree.file(p("owners/odd"), Array("owned".utf8), mode: 0o644, uid: 12345, gid: 54321)
    try tree.directory(p("owners/odd-dir"), mode: 0o750, uid: 23456, gid: 65432)
    try tree.symlink(p("links/relative"), to: "../small.txt")
    try tree.symlink(p("links/absolute"), to: "/etc/hostname")
    try tree.symlink(p("links/dangling"), to: "does/not/exist")
    try tree.fifo(p("special/fifo"))
    try tree.device(p("special/char"), character: true, major: 1, minor: 3)
    try tree.device(p("special/block"), character: false, major: 7, minor: 200)
    try tree.file(p("hard/one"), Array("linked content".utf8))
    try tree.hardlink(p("hard/two"), to: p("hard/one"))
    try tree.file(raw([0x6e, 0x6f, 0x6e, 0xff, 0xfe, 0x75, 0x74, 0x66]), Array("latin1 name".utf8))
    try tree.file(p("names/with space"), Array("s".utf8))
    try tree.file(p("names/quote\"double"), Array("q".utf8))
    try tree.file(p("names/quote'single"), Array("q".utf8))
    try tree.file(p("names/back\\slash"), Array("b".utf8))
    try tree.file(p("names/new\nline"), Array("n".utf8))
    try tree.file(p("names/tab\there"), Array("t".utf8))
    try tree.file(p("names/ünïcödé-名前"), Array("u".utf8))
    try tree.file(p("names/a-b"), Array("order".utf8))
    try tree.file(p("names/a/b"), Array("order".utf8))
    let long100 = String(repeating: "l", count: 120)
    try tree.file(p("long/\(long100)"), Array("over 100".utf8))
    let component = String(repeating: "d", count: 200)
    try tree.file(p("long/\(component)/\(component)/end"), Array("over 255".utf8))
    var deep = "deep"
    for i in 0..<40 { deep += "/level\(i)" }
    try tree.file(p("\(deep)/bottom.txt"), Array("deep".utf8))
    try tree.file(p("old"), Array("old".utf8), mtime: 86_400)
    // Directory times last: creating children above changed them.
    tree.setMtime(p("dirs/a/b/c"), 1_500_000_000)
    tree.setMtime(p("dirs"), 1_400_000_000)
}
