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

    /// `populate` maps in the whole pages within the range asked for — no further than the
    /// mapping — as zeros, before anything is written there.
    @Test func populatingMapsInThePagesOfTheRangeAsZeros() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let mapping = try FileMapping(anonymous: "populated", count: 64 * page)
        let memory = mapping.writableBytes
        func resident() -> [Bool] {
            var vector = [UInt8](repeating: 0, count: 64)
            _ = mincore(memory.baseAddress, memory.count, &vector)
            return vector.map { $0 & 1 != 0 }
        }
        #expect(resident() == Array(repeating: false, count: 64))
        mapping.populate(3 * page + 100..<10 * page - 1)
        mapping.populate(60 * page..<100 * page)
        #expect(resident() == (0..<64).map { (4..<9).contains($0) || $0 >= 60 })
        #expect(UnsafeRawBufferPointer(memory).allSatisfy { $0 == 0 })
        memory[5 * page] = 7
        mapping.seal()
        #expect(mapping.bytes[5 * page] == 7)
    }
}
