import DSVNative
import Testing

@Suite struct PolynomialHashTests {
    static let prime = PolynomialHash.prime

    /// a·b mod p the slow way, by doubling and adding: what `multiply` must agree with.
    static func reference(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var result: UInt128 = 0
        for bit in (0..<127).reversed() {
            result = add(result, result)
            if (b >> UInt128(bit)) & 1 == 1 { result = add(result, a) }
        }
        return result
    }

    static func add(_ a: UInt128, _ b: UInt128) -> UInt128 {
        let sum = a + b
        return sum >= prime ? sum - prime : sum
    }

    /// c₁·rⁿ + … + cₙ·r, evaluated with the reference multiplication.
    static func expected(_ words: [UInt64], at point: UInt128) -> UInt128 {
        words.reduce(UInt128(0)) { value, word in reference(add(value, UInt128(word)), point) }
    }

    static func hash(_ words: [UInt64], at point: UInt128) -> Fingerprint {
        var hash = PolynomialHash(point: point)
        words.forEach { hash.add($0) }
        return hash.finish()
    }

    static func value(_ fingerprint: Fingerprint) -> UInt128 { UInt128(fingerprint.high) << 64 | UInt128(fingerprint.low) }

    /// Points and words at the edges of their ranges (0, 1, just below the prime, all ones)
    /// and random ones: the hash is the polynomial's value, reduced below the prime.
    @Test func hashIsThePolynomialsValueModuloThePrime() {
        var generator = SystemRandomNumberGenerator()
        let points: [UInt128] = [0, 1, 2, Self.prime - 1, Self.prime - 2, 1 << 126, (1 << 64) - 1, 1 << 64]
            + (0..<20).map { _ in UInt128.random(in: 0..<Self.prime, using: &generator) }
        let edges: [UInt64] = [0, 1, .max, .max - 1, 1 << 63]
        for point in points {
            let words = edges + (0..<8).map { _ in UInt64.random(in: 0 ... .max, using: &generator) }
            let value = Self.value(Self.hash(words, at: point))
            #expect(value == Self.expected(words, at: point), "point \(point)")
            #expect(value < Self.prime)
        }
    }

    @Test func reductionOfTheLargestSums() {
        for (high, low): (UInt128, UInt128) in [((1 << 127) - 1, .max), (0, .max), (0, Self.prime), (0, Self.prime + 1), (1, 0), (0, 0)] {
            // high·2¹²⁸ + low ≡ high·2 + low: both reduced the slow way.
            let expected = Self.add(Self.add(high % Self.prime, high % Self.prime), low % Self.prime)
            #expect(PolynomialHash.reduce(high: high, low: low) == expected, "\(high)·2¹²⁸ + \(low)")
        }
    }

    /// The hash starts over after `finish`, and a point of a word apart changes it.
    @Test func finishStartsOverAndPointsMatter() {
        var hash = PolynomialHash(point: 12345)
        [1, 2, 3].forEach { hash.add($0) }
        let first = hash.finish()
        [1, 2, 3].forEach { hash.add($0) }
        #expect(hash.finish() == first)
        #expect(Self.hash([1, 2, 3], at: 12346) != first)
        #expect(Self.hash([1, 2, 4], at: 12345) != first)
    }

    /// A point from stored bytes: their low 127 bits, and the one value at the prime read as 0.
    @Test func pointsFromBytesLieBelowThePrime() {
        let allOnes = [UInt8](repeating: 0xFF, count: 17)
        allOnes.withUnsafeBytes { #expect(PolynomialHash.point($0, at: 1) == 0) }
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[15] = 0x80
        bytes[0] = 7
        bytes.withUnsafeBytes { #expect(PolynomialHash.point($0, at: 0) == 7) }
    }
}
