import DSVNative
import DSVTestSupport
import Foundation
import Testing

/// `evict` lets a file's pages go from the process without losing a byte; anonymous memory,
/// whose bytes exist nowhere else, it leaves alone.
@Suite struct FileMappingTests {
    /// The resident kB of the mapping of `path` in this process (`/proc/self/smaps`, which
    /// names it by its canonical path: matched by its last two components).
    static func residentKB(of path: String) throws -> Int {
        // Read to its end by a handle: a /proc file gives its size as zero.
        let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        let name = "/" + path.split(separator: "/").suffix(2).joined(separator: "/")
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let first = line.first, first.isHexDigit, line.contains("-") {
                inMapping = line.hasSuffix(name)
            } else if inMapping, line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
            }
        }
        return -1
    }

    static let size = 8 << 20 | 1234
    static let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }

    @Test func evictingAFilesPagesKeepsItsBytes() throws {
        let folder = TemporaryDirectory("file-mapping")
        let path = folder.write("data", Data(Self.data))
        let mapping = try FileMapping(path: path)
        #expect(mapping.isFile)
        #expect(mapping.bytes.elementsEqual(Self.data))
        let resident = try Self.residentKB(of: path)
        #expect(resident >= 8 << 10, "\(resident) kB resident")
        mapping.evict(100..<mapping.count - 100)
        #expect(try Self.residentKB(of: path) <= 8, "only the partial pages at the ends stay")
        #expect(mapping.bytes.elementsEqual(Self.data), "read again from the page cache")
    }

    /// A second reader (the background SHA-256) maps evicted pages back by reading them; it lets
    /// go again only what was evicted before.
    @Test func evictingAgainCoversOnlyWhatWasEvicted() throws {
        let folder = TemporaryDirectory("file-mapping-again")
        let path = folder.write("data", Data(Self.data))
        let mapping = try FileMapping(path: path)
        let half = mapping.count / 2
        mapping.evict(0..<half / 2)
        mapping.evict(0..<half)
        #expect(mapping.bytes.elementsEqual(Self.data))
        let resident = try Self.residentKB(of: path)
        #expect(resident >= 8 << 10, "\(resident) kB resident after reading again")
        mapping.evictAgain(within: 0..<mapping.count)
        let left = try Self.residentKB(of: path)
        #expect(abs(left - (mapping.count - half) / 1024) <= 8, "\(left) kB resident: the second half only")
        #expect(mapping.bytes.elementsEqual(Self.data))
    }

    @Test func anonymousMemoryIsNotEvicted() throws {
        let mapping = try FileMapping(anonymous: "pattern", count: Self.size)
        Self.data.withUnsafeBytes { mapping.writableBytes.copyMemory(from: $0) }
        mapping.seal()
        #expect(!mapping.isFile)
        mapping.evict(0..<mapping.count)
        #expect(mapping.bytes.elementsEqual(Self.data))
    }
}
