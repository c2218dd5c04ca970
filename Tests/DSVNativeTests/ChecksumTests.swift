import DSVNative
import Testing

/// The checksums git's pack format and zlib streams carry, against published values and
/// against Python's zlib (the reference a reader of the pack would use).
@Suite struct ChecksumTests {
    static func adler(_ text: String, in pieces: Int = 1) -> UInt32 {
        let bytes = Array(text.utf8)
        var checksum = Adler32()
        let size = max(1, (bytes.count + pieces - 1) / pieces)
        for start in stride(from: 0, to: bytes.count, by: size) {
            bytes[start..<min(bytes.count, start + size)].withUnsafeBytes { checksum.update($0) }
        }
        return checksum.value
    }

    @Test func adler32MatchesItsDefinition() {
        #expect(Self.adler("") == 1)
        #expect(Self.adler("Wikipedia") == 0x11E6_0398)  // RFC 1950's example, as Wikipedia gives it
        // Past 5,552 bytes the sums wrap modulo 65,521: zlib.adler32(b"a" * 100000) in Python.
        #expect(Self.adler(String(repeating: "a", count: 100_000)) == 0x7966_0B4D)
        #expect(Self.adler(String(repeating: "a", count: 100_000), in: 7) == 0x7966_0B4D)
    }
}
