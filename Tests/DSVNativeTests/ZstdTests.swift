import DSVNative
import Testing

@Suite struct ZstdTests {
    @Test func roundTripKeepsEveryByte() throws {
        let text = Array(String(repeating: "{\"id\":1,\"bbox\":[1.5,2.25,30,40]},", count: 5000).utf8)
        let compressed = try Zstd.compress(text, level: 3)
        #expect(compressed.count < text.count / 10)
        #expect(try Zstd.decompress(compressed) == text)
    }

    /// A frame whose header claims far more than its blocks could hold is refused before
    /// anything is allocated for it; the most repetitive input zstd writes still decodes.
    @Test func aFrameClaimingMoreThanItCanHoldIsRefused() throws {
        func frame(claiming size: UInt64) -> [UInt8] {
            // Magic, a descriptor for a single segment with an 8-byte content size, the size,
            // and one last raw block of one byte.
            var bytes: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xE0]
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: size >> UInt64(shift))) }
            let block: UInt32 = 1 | (0 << 1) | (1 << 3)
            bytes += [UInt8(block & 0xFF), UInt8((block >> 8) & 0xFF), UInt8(block >> 16), 0x41]
            return bytes
        }
        #expect(try Zstd.decompress(frame(claiming: 1)) == [0x41])
        for claimed: UInt64 in [1 << 20, 1 << 38, 1 << 62] {
            #expect(throws: ZstdError.self, "\(claimed) bytes claimed") { try Zstd.decompress(frame(claiming: claimed)) }
            #expect(throws: ZstdError.self) { try frame(claiming: claimed).withUnsafeBytes { try ZstdDecompressor().decompress($0, into: BumpArena()) } }
        }
        let zeros = [UInt8](repeating: 0, count: 64 << 20)
        #expect(try Zstd.decompress(try Zstd.compress(zeros, level: 1)) == zeros)
    }

    @Test func emptyInputRoundTrips() throws {
        #expect(try Zstd.decompress(try Zstd.compress([], level: 3)) == [])
    }

    /// Matches of at least 7 bytes (the format's setting): other bytes than the level alone
    /// gives, which decode to the same input, the same every time.
    @Test func aLongerMinimumMatchChangesTheFrameNotItsContent() throws {
        var text: [UInt8] = []
        for i in 0..<4_000 { text += Array("{\"id\":\(i),\"bbox\":[\(i % 97).5,\(i % 13).25,30,4\(i % 10)]},".utf8) }
        let settings = ZstdSettings(level: 1, minimumMatch: 7)
        let frame = try Zstd.compress(text, settings)
        #expect(frame != (try Zstd.compress(text, level: 1)))
        #expect(frame == (try Zstd.compress(text, settings)))
        #expect(try Zstd.decompress(frame) == text)
    }

    @Test func sameInputSameFrame() throws {
        let data = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        #expect(try Zstd.compress(data, level: 3) == Zstd.compress(data, level: 3))
    }

    @Test func corruptFrameIsATypedError() throws {
        var frame = try Zstd.compress(Array("hello hello hello hello".utf8), level: 3)
        frame[frame.count - 3] ^= 0xFF
        frame.removeLast()
        #expect(throws: ZstdError.self) { try Zstd.decompress(frame) }
        #expect(throws: ZstdError.self) { try Zstd.decompress([1, 2, 3]) }
    }

    /// Frames decompressed into one arena each keep their bytes, side by side, while the arena
    /// lives; a truncated frame is an error there too.
    @Test func framesDecompressIntoAnArena() throws {
        let arena = BumpArena()
        let decompressor = ZstdDecompressor()
        let texts = (0..<300).map { Array(String(repeating: "shard \($0);", count: $0 * 7 + 1).utf8) }
        var views: [UnsafeBufferPointer<UInt8>] = []
        for text in texts {
            let frame = try Zstd.compress(text, level: 1)
            views.append(try frame.withUnsafeBytes { bytes in
                Result { () throws(ZstdError) in try decompressor.decompress(bytes, into: arena) }
            }.get())
        }
        #expect(zip(views, texts).allSatisfy { Array($0) == $1 })
        let empty = try Zstd.compress([], level: 1)
        #expect(try empty.withUnsafeBytes { bytes in Result { () throws(ZstdError) in try decompressor.decompress(bytes, into: arena) } }.get().isEmpty)
        var corrupt = try Zstd.compress(texts[200], level: 1)
        corrupt.removeLast(5)
        #expect(throws: ZstdError.self) {
            try corrupt.withUnsafeBytes { bytes in Result { () throws(ZstdError) in try decompressor.decompress(bytes, into: arena) } }.get()
        }
        #expect(zip(views, texts).allSatisfy { Array($0) == $1 })
    }
}

@Suite struct BumpArenaTests {
    /// Slices never overlap, a request larger than a chunk gets a mapping of its own, and what
    /// was written stays.
    @Test func slicesAreDisjointAndKeepTheirBytes() {
        let arena = BumpArena()
        var slices: [UnsafeMutableRawBufferPointer] = []
        for (index, size) in [0, 1, 4096, 5 << 20, 40 << 20, 7, 30 << 20].enumerated() {
            let slice = arena.allocate(size)
            #expect(slice.count == size)
            slice.initializeMemory(as: UInt8.self, repeating: UInt8(index))
            slices.append(slice)
        }
        let ranges = slices.filter { $0.count > 0 }.map { UInt(bitPattern: $0.baseAddress!)..<UInt(bitPattern: $0.baseAddress!) + UInt($0.count) }
        for (i, a) in ranges.enumerated() { for b in ranges[(i + 1)...] { #expect(!a.overlaps(b)) } }
        for (index, slice) in slices.enumerated() { #expect(slice.allSatisfy { $0 == UInt8(index) }) }
        #expect(arena.mappedBytes >= 75 << 20)
    }
}
