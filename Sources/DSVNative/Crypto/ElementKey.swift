/// The key of `ElementKey.digest`: a keyed 127-bit digest of a short byte string (at most 4 KiB),
/// made to tell, for each of a million annotation objects, whether its bytes are ones an earlier
/// commit already read — at a few dozen nanoseconds, where a SHA-256 alone costs a hundred or
/// more.
///
/// Why it is safe to trust: the bytes pass through NH (RFC 4418's universal hash, on 64-bit
/// words with two Toeplitz-shifted keys, as in `Fingerprinter`) in 1 KiB blocks; each block's
/// two 128-bit sums, as four 64-bit words, and the length are then combined as Σ cᵢ·rᵢ modulo
/// the prime 2¹²⁷ − 1 under independent random rᵢ. Two different strings of the same length
/// collide only if NH collides on every block where they differ (≤ 2⁻¹²⁸) or the sum does
/// (≤ 2⁻¹²⁷: the words differ somewhere, and that word's rᵢ is uniform); strings of different
/// lengths differ in the last word. The key is random per repository and never leaves it.
///
/// Like a fingerprint, the value depends on the key and on the machine's byte order: a local
/// cache key, never part of a stored format that travels. The key is derived from the
/// repository's `FingerprintKey` (record fingerprints are made of these digests), so that the
/// two never disagree.
public final class ElementKey: @unchecked Sendable {
    /// The longest string with a digest.
    public static let maximumLength = maximumBlocks * FingerprintKey.blockWords * 8
    static let maximumBlocks = 4
    /// Words summed: four per block, and the length.
    static let terms = 4 * maximumBlocks + 1
    /// NH's words for one block plus the second instance's shift, then 16 bytes per term.
    public static let byteCount = (FingerprintKey.blockWords + 2) * 8 + terms * 16

    let words: UnsafeMutablePointer<UInt64>
    /// The rᵢ, each below the prime.
    let multipliers: UnsafeMutablePointer<UInt128>
    /// The key as stored.
    public let bytes: [UInt8]

    /// A key from `byteCount` stored bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
        let nhWords = FingerprintKey.blockWords + 2
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: nhWords)
        let multipliers = UnsafeMutablePointer<UInt128>.allocate(capacity: Self.terms)
        bytes.withUnsafeBytes { raw in
            for i in 0..<nhWords { words[i] = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
            for i in 0..<Self.terms { multipliers[i] = PolynomialHash.point(raw, at: nhWords * 8 + i * 16) }
        }
        self.words = words
        self.multipliers = multipliers
    }

    /// The key belonging to `key`: SHA-256 of the key, a label and a counter, block after block.
    public convenience init(derivedFrom key: FingerprintKey) {
        var bytes: [UInt8] = []
        var counter: UInt32 = 0
        while bytes.count < Self.byteCount {
            let hasher = Hasher(.sha256)
            hasher.update(key.bytes)
            hasher.update("dsv element key")
            withUnsafeBytes(of: counter.bigEndian) { hasher.update($0) }
            bytes += hasher.finish()
            counter += 1
        }
        self.init(bytes: Array(bytes.prefix(Self.byteCount)))!
    }

    /// 16 bytes that tell this key from another (the start of its SHA-256), for a file kept
    /// under it.
    public var check: [UInt8] { Array(Hasher.digest(.sha256, bytes).prefix(16)) }

    deinit {
        words.deallocate()
        multipliers.deallocate()
    }

    /// The digest of `bytes`, or nil when they are longer than `maximumLength`. `readable` is
    /// memory around them that may be read (their buffer), so that the last partial 16 bytes
    /// are loaded whole and masked.
    public func digest(_ bytes: UnsafeRawBufferPointer, readable: UnsafeRawBufferPointer) -> Fingerprint? {
        let count = bytes.count
        guard count <= Self.maximumLength else { return nil }
        guard var p = bytes.baseAddress else { return .zero }
        var low: UInt128 = 0, high: UInt128 = 0
        var remaining = count, term = 0
        let blockBytes = FingerprintKey.blockWords * 8
        let r = multipliers
        do {
            while remaining > 0 {
                var s1: UInt128 = 0, s2: UInt128 = 0
                let inBlock = min(remaining, blockBytes)
                Fingerprinter.sumPairs(p, count: inBlock / 16, key: words, &s1, &s2)
                let tail = inBlock % 16
                if tail > 0 {
                    let last = Fingerprinter.load(p + (inBlock - tail), count: tail, readable: readable)
                    Fingerprinter.step(UInt64(truncatingIfNeeded: last), UInt64(truncatingIfNeeded: last >> 64),
                                       key: words + 2 &* (inBlock / 16), &s1, &s2)
                }
                Self.add(UInt64(truncatingIfNeeded: s1), r[term], &low, &high)
                Self.add(UInt64(truncatingIfNeeded: s1 >> 64), r[term + 1], &low, &high)
                Self.add(UInt64(truncatingIfNeeded: s2), r[term + 2], &low, &high)
                Self.add(UInt64(truncatingIfNeeded: s2 >> 64), r[term + 3], &low, &high)
                term += 4
                p += inBlock
                remaining -= inBlock
            }
            Self.add(UInt64(count), r[Self.terms - 1], &low, &high)
        }
        let t = PolynomialHash.reduce(high: high, low: low)
        return Fingerprint(high: UInt64(truncatingIfNeeded: t >> 64), low: UInt64(truncatingIfNeeded: t))
    }

    /// Adds c·r to the 256-bit sum high·2¹²⁸ + low (17 terms of under 2¹⁹¹ each never carry
    /// out of `high`).
    @inline(__always)
    private static func add(_ c: UInt64, _ r: UInt128, _ low: inout UInt128, _ high: inout UInt128) {
        let a = UInt128(c) &* UInt128(UInt64(truncatingIfNeeded: r))
        let b = UInt128(c) &* (r >> 64)
        let (sum, carry1) = low.addingReportingOverflow(a)
        let (total, carry2) = sum.addingReportingOverflow(b << 64)
        low = total
        high &+= (b >> 64) &+ (carry1 ? 1 : 0) &+ (carry2 ? 1 : 0)
    }
}
