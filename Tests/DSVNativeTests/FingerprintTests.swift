import DSVNative
import Testing

@Suite struct FingerprintTests {
    static let key = FingerprintKey.random()

    static func fingerprint(_ build: (inout Fingerprinter) -> Void, key: FingerprintKey = key) -> Fingerprint {
        var fingerprinter = Fingerprinter(key: key)
        build(&fingerprinter)
        return fingerprinter.finish()
    }

    static func pieces(_ texts: [String], key: FingerprintKey = key) -> Fingerprint {
        fingerprint({ f in texts.forEach { f.piece($0) } }, key: key)
    }

    @Test func equalInputsGiveEqualFingerprintsAndTheFingerprinterStartsOver() {
        var fingerprinter = Fingerprinter(key: Self.key)
        fingerprinter.piece("images/0001.jpg")
        fingerprinter.words(7, 9)
        let first = fingerprinter.finish()
        fingerprinter.piece("images/0001.jpg")
        fingerprinter.words(7, 9)
        #expect(fingerprinter.finish() == first)
    }

    /// Pieces carry their length: how bytes are split into pieces is part of the input, so
    /// `["ab", "c"]` and `["a", "bc"]` differ, and trailing zero bytes are not padding.
    @Test func piecesAreDelimited() {
        #expect(Self.pieces(["ab", "c"]) != Self.pieces(["a", "bc"]))
        #expect(Self.pieces(["abc"]) != Self.pieces(["abc\u{0}"]))
        #expect(Self.pieces([""]) != Self.pieces([]))
        #expect(Self.pieces(["", ""]) != Self.pieces([""]))
        #expect(Self.fingerprint { $0.words(1, 0) } != Self.fingerprint { $0.words(0, 1) })
    }

    @Test func everyByteMatters() {
        // Lengths around the 16-byte pair and the 1 KiB block, and a change at every position.
        for length in [1, 7, 8, 9, 15, 16, 17, 31, 1023, 1024, 1025, 3000] {
            let base = [UInt8]((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let reference = base.withUnsafeBytes { bytes in Self.fingerprint { $0.piece(bytes, readable: bytes) } }
            for position in Set([0, length / 2, length - 1]) {
                var changed = base
                changed[position] ^= 0x01
                let other = changed.withUnsafeBytes { bytes in Self.fingerprint { $0.piece(bytes, readable: bytes) } }
                #expect(other != reference, "length \(length), byte \(position)")
            }
        }
    }

    /// A piece's last partial pair is read whole when the memory around it may be read; the
    /// bytes past the piece never change the result.
    @Test func readingPastAPieceDoesNotChangeIt() {
        for length in 0..<40 {
            let piece = [UInt8]((0..<length).map { UInt8($0 + 1) })
            let alone = piece.withUnsafeBytes { bytes in Self.fingerprint { $0.piece(bytes, readable: bytes) } }
            for filler: UInt8 in [0x00, 0xFF, 0x41] {
                let surrounded = [filler, filler] + piece + [UInt8](repeating: filler, count: 24)
                let inPlace = surrounded.withUnsafeBytes { all in
                    Self.fingerprint { $0.piece(UnsafeRawBufferPointer(rebasing: all[2..<2 + length]), readable: all) }
                }
                #expect(inPlace == alone, "length \(length), filler \(filler)")
            }
        }
    }

    /// A stream is its bytes however they arrive: split anywhere, read in place from buffers
    /// of any alignment, it fingerprints as the same bytes in one call.
    @Test func streamsAreTheirBytesHoweverSplit() {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 15, 16, 17, 40, 1023, 1024, 1025, 3000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let whole = bytes.withUnsafeBytes { all in Self.fingerprint { $0.stream(all, readable: all); $0.endStream() } }
            for _ in 0..<20 {
                var cuts = (0..<Int.random(in: 0...6, using: &generator)).map { _ in Int.random(in: 0...length, using: &generator) }
                cuts = ([0] + cuts + [length]).sorted()
                let split = bytes.withUnsafeBytes { all in
                    Self.fingerprint { f in
                        for (from, to) in zip(cuts, cuts.dropFirst()) {
                            // Each part read from a copy of its own, so that nothing past it may be read.
                            let part = Array(all[from..<to])
                            part.withUnsafeBytes { f.stream($0, readable: $0) }
                        }
                        f.endStream()
                    }
                }
                #expect(split == whole, "length \(length), cuts \(cuts)")
            }
        }
    }

    /// Blocks fill across pieces: many small pieces, or one long one, in any mix.
    @Test func longInputsSpanBlocks() {
        let words = (0..<500).map { "annotation-\($0)" }
        #expect(Self.pieces(words) == Self.pieces(words))
        var reordered = words
        reordered.swapAt(10, 400)
        #expect(Self.pieces(reordered) != Self.pieces(words))
        #expect(Self.pieces(Array(words.dropLast())) != Self.pieces(words))
    }

    @Test func theKeyMatters() {
        let other = FingerprintKey.random()
        #expect(other.bytes != Self.key.bytes)
        #expect(Self.pieces(["same"], key: other) != Self.pieces(["same"]))
        let copy = FingerprintKey(bytes: Self.key.bytes)!
        #expect(Self.pieces(["same"], key: copy) == Self.pieces(["same"]))
        #expect(FingerprintKey(bytes: Array(Self.key.bytes.dropLast())) == nil)
    }

    @Test func fingerprintsRoundTripThroughBytes() {
        let fingerprint = Self.pieces(["x"])
        let bytes = fingerprint.bytes
        #expect(bytes.count == 16)
        #expect(bytes.withUnsafeBytes { Fingerprint(bytes: $0) } == fingerprint)
    }
}
