import DSVNative
import Testing

@Suite struct ZstdTests {
    @Test func roundTripKeepsEveryByte() throws {
        let text = Array(String(repeating: "{\"id\":1,\"bbox\":[1.5,2.25,30,40]},", count: 5000).utf8)
        let compressed = try Zstd.compress(text, level: 3)
        #expect(compressed.count < text.count / 10)
        #expect(try Zstd.decompress(compressed) == text)
    }

    @Test func emptyInputRoundTrips() throws {
        #expect(try Zstd.decompress(try Zstd.compress([], level: 3)) == [])
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
}
