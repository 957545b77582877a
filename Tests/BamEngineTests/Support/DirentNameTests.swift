import Testing

@testable import BamEngine

#if canImport(Glibc)
import Glibc
#endif

/// readdir's entries are only as long as their names; the last one in its
/// buffer can end right before an unmapped page. Reading `d_name` as the
/// struct's 256-byte array crashed a backup of a real tree that way.
@Suite("directory entry names")
struct DirentNameTests {
    @Test("a name is read in place, never past the end of its entry")
    func entryAtTheEndOfMappedMemory() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let memory = mmap(nil, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        #expect(memory != MAP_FAILED)
        guard let memory, memory != MAP_FAILED else { return }
        defer { munmap(memory, 2 * page) }
        // The second page faults on any access.
        #expect(mprotect(memory + page, page, PROT_NONE) == 0)
        let name = Array("rfiles.cs.auto.h".utf8)
        let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        let length = (offset + name.count + 1 + 7) / 8 * 8
        let entry = memory + page - length
        memset(entry, 0, length)
        name.withUnsafeBytes { (entry + offset).copyMemory(from: $0.baseAddress!, byteCount: name.count) }
        #expect(Posix.direntName(entry.assumingMemoryBound(to: dirent.self)) == name)
    }
}
