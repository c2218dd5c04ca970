import DSVNative
import DSVTestSupport
import Testing

/// `ElementKey.digest` stands for bytes in the next round's match: equal bytes must give equal
/// digests wherever they lie, and any change — a byte, the length, zero padding — another.
@Suite struct ElementKeyTests {
    static let key = ElementKey(derivedFrom: FingerprintKey.random())

    /// The digest of `bytes` placed at `offset` in a buffer of `size`, the rest filled with `fill`.
    static func digest(_ bytes: [UInt8], at offset: Int = 0, size: Int? = nil, fill: UInt8 = 0x20) -> Fingerprint? {
        var buffer = [UInt8](repeating: fill, count: size ?? bytes.count + offset)
        buffer.replaceSubrange(offset..<offset + bytes.count, with: bytes)
        return buffer.withUnsafeBytes { all in
            key.digest(UnsafeRawBufferPointer(rebasing: all[offset..<offset + bytes.count]), readable: all)
        }
    }

    static func random(_ count: Int, _ generator: inout SplitMix) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func equalBytesGiveEqualDigestsWhateverSurroundsThem() {
        var generator = SplitMix(seed: 11)
        for count in [1, 7, 15, 16, 17, 100, 1023, 1024, 1025, 2049, 4096] {
            let bytes = Self.random(count, &generator)
            let alone = Self.digest(bytes)
            #expect(alone != nil)
            // Mid-buffer, at the start of a longer one, and at the end of one (the last partial
            // 16 bytes then loaded from before them).
            #expect(Self.digest(bytes, at: 5, fill: 0xAA) == alone, "\(count)")
            #expect(Self.digest(bytes, at: 0, size: count + 40, fill: 0x55) == alone, "\(count)")
            #expect(Self.digest(bytes, at: 3, size: count + 3 + 9, fill: 0x00) == alone, "\(count)")
        }
    }

    @Test func anyChangedByteOrLengthChangesTheDigest() {
        var generator = SplitMix(seed: 12)
        for count in [1, 9, 16, 31, 300, 1024, 1500, 3000, 4096] {
            let bytes = Self.random(count, &generator)
            var digests: [[UInt8]: Fingerprint] = [bytes: Self.digest(bytes)!]
            for _ in 0..<40 {
                var changed = bytes
                let at = Int.random(in: 0..<count, using: &generator)
                changed[at] ^= UInt8.random(in: 1...255, using: &generator)
                digests[changed] = Self.digest(changed)!
            }
            // A trailing zero (what the padding of the last 16 bytes adds) and a dropped last byte.
            if count < ElementKey.maximumLength { digests[bytes + [0]] = Self.digest(bytes + [0])! }
            if count > 1 { digests[Array(bytes.dropLast())] = Self.digest(Array(bytes.dropLast()))! }
            #expect(Set(digests.values).count == digests.count, "\(count) bytes")
        }
    }

    @Test func onlyShortStringsHaveADigest() {
        #expect(Self.digest([UInt8](repeating: 1, count: ElementKey.maximumLength)) != nil)
        #expect(Self.digest([UInt8](repeating: 1, count: ElementKey.maximumLength + 1)) == nil)
    }

    /// The key follows the repository's fingerprint key: the same one gives the same digests
    /// (record fingerprints are made of them), another gives others.
    @Test func theKeyIsDerivedFromTheFingerprintKey() {
        let base = FingerprintKey.random()
        let a = ElementKey(derivedFrom: base), b = ElementKey(derivedFrom: FingerprintKey(bytes: base.bytes)!)
        let other = ElementKey(derivedFrom: FingerprintKey.random())
        #expect(a.bytes == b.bytes && a.check == b.check)
        #expect(a.check != other.check)
        let text = Array(#",\"category_id\":3,\"bbox\":[1,2,3,4]}"#.utf8)
        text.withUnsafeBytes { bytes in
            #expect(a.digest(bytes, readable: bytes) == b.digest(bytes, readable: bytes))
            #expect(a.digest(bytes, readable: bytes) != other.digest(bytes, readable: bytes))
        }
    }
}
