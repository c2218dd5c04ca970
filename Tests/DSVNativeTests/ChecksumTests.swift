import DSVNative
import DSVTestSupport
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

    /// The bytes that make the sums largest (all 0xFF) and a pattern over every byte value, in
    /// one piece and in pieces that cut the 16-byte blocks and the 2,048-byte chunks anywhere:
    /// Python's zlib.adler32 of the same bytes.
    @Test func adler32OfLargeSumsAndOddPiecesMatchesZlib() {
        let ones = [UInt8](repeating: 0xFF, count: 100_000)
        let pattern = (0..<256_000).map { UInt8(truncatingIfNeeded: $0) }
        for (bytes, expected) in [(ones, UInt32(0x149A_302C)), (pattern, 0xA73B_292F)] {
            for pieces in [1, 3, 7, 1000] {
                var checksum = Adler32()
                let size = (bytes.count + pieces - 1) / pieces
                for start in stride(from: 0, to: bytes.count, by: size) {
                    bytes[start..<min(bytes.count, start + size)].withUnsafeBytes { checksum.update($0) }
                }
                #expect(checksum.value == expected, "\(pieces) pieces")
            }
        }
    }

    /// Every length from 0 to 2,100 (every tail after the 16-byte blocks, one chunk and more),
    /// against the definition a byte at a time.
    @Test func adler32OfEveryShortLengthMatchesTheDefinition() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<2100).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for length in 0...2100 {
            var (a, b): (UInt32, UInt32) = (1, 0)
            for byte in bytes[0..<length] {
                a = (a + UInt32(byte)) % 65521
                b = (b + a) % 65521
            }
            var checksum = Adler32()
            bytes[0..<length].withUnsafeBytes { checksum.update($0) }
            #expect(checksum.value == b << 16 | a, "length \(length)")
        }
    }

    /// CRC-32 a bit at a time, as its definition gives it (reflected, polynomial 0xEDB88320).
    static func crcByDefinition(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// The check value every CRC-32 catalogue gives, and Python's zlib.crc32 of long runs — in
    /// one piece and in pieces that cut the 64- and 16-byte blocks anywhere.
    @Test func crc32MatchesZlib() {
        var check = CRC32()
        Array("123456789".utf8).withUnsafeBytes { check.update($0) }
        #expect(check.value == 0xCBF4_3926)
        let runs: [([UInt8], UInt32)] = [([UInt8](repeating: UInt8(ascii: "a"), count: 100_000), 0x1BE2_FA87),
                                         ((0..<256_000).map { UInt8(truncatingIfNeeded: $0) }, 0xFC70_AF1A),
                                         ([UInt8](repeating: 0xFF, count: 100_000), 0x68C6_CEC4)]
        for (bytes, expected) in runs {
            for pieces in [1, 3, 7, 1000, 4001] {
                var crc = CRC32()
                let size = (bytes.count + pieces - 1) / pieces
                for start in stride(from: 0, to: bytes.count, by: size) {
                    crc.update(bytes[start..<min(bytes.count, start + size)])
                }
                #expect(crc.value == expected, "\(pieces) pieces")
            }
        }
    }

    /// Every length from 0 to 600 at every offset from a 16-byte boundary (the folding loads
    /// 16 bytes at a time and leaves the tail to zlib), continued from a value other than 0,
    /// against the definition a bit at a time.
    @Test func crc32OfEveryShortLengthAndAlignmentMatchesTheDefinition() {
        var generator = SplitMix(seed: 32)
        let bytes = (0..<640).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for offset in 0..<16 {
            for length in 0...600 {
                var crc = CRC32()
                bytes[offset..<offset + length].withUnsafeBytes { crc.update($0) }
                #expect(crc.value == Self.crcByDefinition(bytes[offset..<offset + length]), "offset \(offset), length \(length)")
                var continued = CRC32()
                continued.update(bytes[0..<offset])
                continued.update(bytes[offset..<offset + length])
                #expect(continued.value == Self.crcByDefinition(bytes[0..<offset + length]), "offset \(offset), length \(length), continued")
            }
        }
    }
}
