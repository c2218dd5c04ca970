/// A polynomial hash of 64-bit words modulo the prime p = 2¹²⁷ − 1, at a secret point r: words
/// c₁ … cₙ hash to c₁·rⁿ + c₂·rⁿ⁻¹ + … + cₙ·r. It closes fingerprints (`Fingerprinter`, a
/// shard's fingerprint from its records'): a few multiplications per word where a SHA-256
/// costs a hundred nanoseconds or more per call, and a next round closes one fingerprint per
/// image and per shard.
///
/// Why it is safe to trust: for two different sequences of at most n words whose last words
/// differ or whose lengths are equal, the difference of their hashes is a nonzero polynomial in
/// r of degree at most n, which has at most n roots; under a uniformly random r the two collide
/// with probability at most n / p (below 2⁻¹¹⁰ for a million words). Callers end each sequence
/// with a word that tells its length, so that sequences of different lengths differ in their
/// last word. The point is random per repository and never leaves it, and the words are chosen
/// without knowing it.
public struct PolynomialHash {
    private let point: UInt128
    private var value: UInt128 = 0

    /// 2¹²⁷ − 1.
    public static let prime: UInt128 = (1 << 127) - 1

    public init(point: UInt128) {
        precondition(point < Self.prime)
        self.point = point
    }

    /// A point from 16 random bytes at `offset`: their low 127 bits, below the prime.
    public static func point(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt128 {
        let r = bytes.loadUnaligned(fromByteOffset: offset, as: UInt128.self) & prime
        return r == prime ? 0 : r
    }

    /// One more word.
    @inline(__always)
    public mutating func add(_ word: UInt64) {
        var sum = value &+ UInt128(word)
        if sum >= Self.prime { sum &-= Self.prime }
        value = Self.multiply(sum, point)
    }

    /// The hash of the words added, as a fingerprint (its top bit is always clear); the hash
    /// starts over.
    public mutating func finish() -> Fingerprint {
        defer { value = 0 }
        return Fingerprint(high: UInt64(truncatingIfNeeded: value >> 64), low: UInt64(truncatingIfNeeded: value))
    }

    /// a·b mod p, for a and b below p.
    @inline(__always)
    static func multiply(_ a: UInt128, _ b: UInt128) -> UInt128 {
        let (a1, a0) = (UInt64(truncatingIfNeeded: a >> 64), UInt64(truncatingIfNeeded: a))
        let (b1, b0) = (UInt64(truncatingIfNeeded: b >> 64), UInt64(truncatingIfNeeded: b))
        // a1 and b1 are below 2⁶³: the middle terms' sum stays below 2¹²⁸.
        let middle = UInt128(a0) &* UInt128(b1) &+ UInt128(a1) &* UInt128(b0)
        let (low, carry) = (UInt128(a0) &* UInt128(b0)).addingReportingOverflow(middle << 64)
        let high = UInt128(a1) &* UInt128(b1) &+ (middle >> 64) &+ (carry ? 1 : 0)
        return reduce(high: high, low: low)
    }

    /// high·2¹²⁸ + low mod p, for high below 2¹²⁷, where 2¹²⁸ ≡ 2 (`ElementKey`'s sums too).
    @inline(__always)
    public static func reduce(high: UInt128, low: UInt128) -> UInt128 {
        let a = fold(fold(low)), b = fold(high << 1)
        let sum = fold(a &+ b)
        return sum >= prime ? sum &- prime : sum
    }

    /// x mod p, up to one p too many: 2¹²⁷ ≡ 1.
    @inline(__always)
    private static func fold(_ x: UInt128) -> UInt128 { (x & prime) &+ (x >> 127) }
}
