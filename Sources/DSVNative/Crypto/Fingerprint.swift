/// A 128-bit keyed fingerprint of a sequence of byte strings, several times cheaper than SHA-256: it tells
/// whether content is *the same as before* without hashing it cryptographically.
///
/// Why it is safe to trust: the content passes through NH, UMAC's universal hash (RFC 4418), on
/// 64-bit words with two Toeplitz-shifted keys — for two different inputs of the same length
/// under a random key, their NH values collide with probability at most 2⁻¹²⁸ — and the NH
/// values of its 1 KiB blocks, with the input's length last, go through a polynomial hash
/// modulo 2¹²⁷ − 1 at a point of their own (`PolynomialHash`: n words collide with probability
/// at most n / (2¹²⁷ − 1)). Two different inputs therefore share a fingerprint only if NH
/// collides on every block where they differ (≤ 2⁻¹²⁸) or the polynomial does. (Until 2026-12
/// SHA-256 closed it, which cost more than the rest for the short records of a next round.)
/// Whoever writes the content never sees the key (it is random per repository and stays
/// local), so crafted collisions are no easier than accidental ones.
///
/// The value depends on the key and on the machine's byte order: it is a local cache key, never
/// part of a stored format.
public final class FingerprintKey: @unchecked Sendable {
    /// 64-bit words of one block.
    static let blockWords = 128
    /// The key material: NH words for a block plus the shift of the second instance, then the
    /// polynomial hashes' points (16 bytes each).
    public static let byteCount = (blockWords + 2) * 8 + 32

    let words: UnsafeMutablePointer<UInt64>
    /// Where the polynomial closing a fingerprint is evaluated.
    let point: UInt128
    /// Where the polynomial of a shard's record fingerprints is evaluated (`ShardFingerprints`),
    /// apart from `point`: the fingerprints it takes depend on that one.
    public let combiningPoint: UInt128
    /// The key as stored.
    public let bytes: [UInt8]

    /// A key from `byteCount` stored bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.blockWords + 2)
        bytes.withUnsafeBytes { raw in
            for i in 0..<(Self.blockWords + 2) { words[i] = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
        }
        self.words = words
        (point, combiningPoint) = bytes.withUnsafeBytes { raw in
            (PolynomialHash.point(raw, at: (Self.blockWords + 2) * 8), PolynomialHash.point(raw, at: (Self.blockWords + 2) * 8 + 16))
        }
    }

    /// A fresh key from the kernel's random generator.
    public static func random() -> FingerprintKey { FingerprintKey(bytes: SystemRandom.bytes(byteCount))! }

    deinit { words.deallocate() }
}

/// A fingerprint: equal for equal content under one key.
public struct Fingerprint: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// From 16 big-endian bytes.
    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 16 else { return nil }
        high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        low = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
    }

    /// The first 16 bytes of a longer digest.
    public init(truncating digest: UnsafeRawBufferPointer) {
        self.init(bytes: UnsafeRawBufferPointer(rebasing: digest.prefix(16)))!
    }

    /// Stands for none where an optional would take a word more per entry (a real one is zero
    /// with probability 2⁻¹²⁷: it is then treated as none, which only costs work).
    public static let zero = Fingerprint(high: 0, low: 0)

    /// One word is enough to hash: a fingerprint is already uniformly random under its key
    /// (and the key is secret, so nobody can aim collisions at a table).
    public func hash(into hasher: inout Swift.Hasher) { hasher.combine(low) }

    /// Big-endian, 16 bytes.
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }
}

/// Computes fingerprints of a sequence of pieces (byte strings), streams and word pairs, read in
/// place: nothing is copied. The sequence is laid out injectively as 16-byte pairs — a piece as
/// a pair holding its length, then its bytes zero-padded to whole pairs; a stream as its bytes
/// zero-padded to whole pairs, its length given by the caller beforehand — and NH runs over
/// those pairs in blocks of 64. Reusable: `finish()` starts it over. One per thread.
public struct Fingerprinter {
    private let key: FingerprintKey
    /// Pairs absorbed in all, and the current block's position (in words) and NH sums.
    private var pairs: UInt64 = 0
    private var slot = 0
    private var sum1: UInt128 = 0, sum2: UInt128 = 0
    /// The finished blocks' NH sums, four words each, and then the pairs' count.
    private var outer: PolynomialHash
    /// A stream's bytes not yet absorbed (fewer than a pair), in the low bytes.
    private var pending: UInt128 = 0
    private var pendingCount = 0

    public init(key: FingerprintKey) {
        self.key = key
        outer = PolynomialHash(point: key.point)
    }

    /// Two words, as one pair.
    @inline(__always)
    public mutating func words(_ first: UInt64, _ second: UInt64) {
        absorb(first, second)
    }

    /// A piece: its length, then its bytes. `readable` is memory around it that may be read
    /// (the piece's buffer), so that its last partial pair is loaded whole and masked.
    @inline(__always)
    public mutating func piece(_ bytes: UnsafeRawBufferPointer, readable: UnsafeRawBufferPointer) {
        absorb(UInt64(bytes.count), 0)
        stream(bytes, readable: readable)
        endStream()
    }

    /// More bytes of a stream: consecutive calls concatenate, whatever their lengths, until
    /// `endStream()`; the bytes are read in place (`readable` as for `piece`). A stream does
    /// not delimit itself: the caller absorbs what determines its length before it.
    @inline(__always)
    public mutating func stream(_ bytes: UnsafeRawBufferPointer, readable: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        if pendingCount > 0 {
            // Complete the pending pair first.
            let take = min(16 - pendingCount, remaining)
            pending |= Self.load(p, count: take, readable: readable) << (8 * pendingCount)
            pendingCount += take
            guard pendingCount == 16 else { return }
            absorb(UInt64(truncatingIfNeeded: pending), UInt64(truncatingIfNeeded: pending >> 64))
            (pending, pendingCount) = (0, 0)
            p += take
            remaining -= take
        }
        while remaining >= 16 {
            // Whole pairs up to the end of the block, with the sums in registers.
            let pairs = min(remaining / 16, (FingerprintKey.blockWords - slot) / 2)
            var (s1, s2) = (sum1, sum2)
            Self.sumPairs(p, count: pairs, key: key.words + slot, &s1, &s2)
            (sum1, sum2) = (s1, s2)
            self.pairs &+= UInt64(pairs)
            slot &+= 2 &* pairs
            if slot == FingerprintKey.blockWords { endBlock() }
            p += 16 &* pairs
            remaining -= 16 &* pairs
        }
        if remaining > 0 {
            pending = Self.load(p, count: remaining, readable: readable)
            pendingCount = remaining
        }
    }

    /// Ends a stream: its last partial pair, zero-padded.
    @inline(__always)
    public mutating func endStream() {
        guard pendingCount > 0 else { return }
        absorb(UInt64(truncatingIfNeeded: pending), UInt64(truncatingIfNeeded: pending >> 64))
        (pending, pendingCount) = (0, 0)
    }

    /// `count` (< 16) bytes at `p` as the low bytes of a little-endian number: one whole load
    /// when the 16 bytes from `p`, or the 16 ending at `p + count`, lie within `readable`.
    @inline(__always)
    static func load(_ p: UnsafeRawPointer, count: Int, readable: UnsafeRawBufferPointer) -> UInt128 {
        // As offsets within `readable`: a pointer is never formed before its start.
        let before = p - readable.baseAddress!, after = readable.count - before
        if after >= 16 {
            let whole = UInt128(littleEndian: p.loadUnaligned(as: UInt128.self))
            return whole & (UInt128.max >> (128 - 8 * count))
        }
        if before + count >= 16 {
            let whole = UInt128(littleEndian: (p + count - 16).loadUnaligned(as: UInt128.self))
            return whole >> (128 - 8 * count)
        }
        var value: UInt128 = 0
        for i in 0..<count { value |= UInt128(p.load(fromByteOffset: i, as: UInt8.self)) << (8 * i) }
        return value
    }

    /// A string, as a piece.
    public mutating func piece(_ text: String) {
        var copy = text
        copy.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            piece(bytes, readable: bytes)
        }
    }

    /// The fingerprint of everything fed since the last `finish()`.
    public mutating func finish() -> Fingerprint {
        if slot > 0 { endBlock() }
        outer.add(pairs)
        pairs = 0
        return outer.finish()
    }

    /// One pair into NH under the key and under the key shifted by two words.
    @inline(__always)
    private mutating func absorb(_ m0: UInt64, _ m1: UInt64) {
        Self.step(m0, m1, key: key.words + slot, &sum1, &sum2)
        pairs &+= 1
        slot &+= 2
        if slot == FingerprintKey.blockWords { endBlock() }
    }

    /// `count` whole pairs at `p` into the NH sums, under the key from `k` on.
    @inline(__always)
    static func sumPairs(_ p: UnsafeRawPointer, count: Int, key k: UnsafePointer<UInt64>,
                         _ sum1: inout UInt128, _ sum2: inout UInt128) {
        for i in 0..<count {
            let m0 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16 &* i, as: UInt64.self))
            let m1 = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16 &* i &+ 8, as: UInt64.self))
            step(m0, m1, key: k + 2 &* i, &sum1, &sum2)
        }
    }

    /// NH's step for one pair: (m0 + k0)·(m1 + k1) added to the first 128-bit sum, and the same
    /// with the key two words on to the second. (As `UInt128` sums, so that the carry is an
    /// `adc`: a carry computed as a Bool became a branch taken at random, half the time.)
    @inline(__always)
    static func step(_ m0: UInt64, _ m1: UInt64, key k: UnsafePointer<UInt64>,
                             _ sum1: inout UInt128, _ sum2: inout UInt128) {
        sum1 &+= UInt128(m0 &+ k[0]) &* UInt128(m1 &+ k[1])
        sum2 &+= UInt128(m0 &+ k[2]) &* UInt128(m1 &+ k[3])
    }

    private mutating func endBlock() {
        outer.add(UInt64(truncatingIfNeeded: sum1))
        outer.add(UInt64(truncatingIfNeeded: sum1 >> 64))
        outer.add(UInt64(truncatingIfNeeded: sum2))
        outer.add(UInt64(truncatingIfNeeded: sum2 >> 64))
        (sum1, sum2) = (0, 0)
        slot = 0
    }
}
