@testable import DSVDataset
import Testing

/// The annotations two sides share byte for byte are taken out of an image's comparison the
/// same way whether the lists are few (compared pairwise) or many (looked up by hashing).
@Suite struct RemoveIdenticalTests {
    static func template(_ text: String, id: Int32 = -1) -> ObjectTemplate {
        var template = ObjectTemplate(bytes: ArraySlice(Array(text.utf8)))
        template.idOffset = id
        return template
    }

    /// The multiset path, as `removeIdentical` takes it for long lists.
    static func byCounting(_ old: inout [ObjectTemplate], _ new: inout [ObjectTemplate]) -> Int {
        // Padded past the pairwise limit with templates neither side shares, then unpadded.
        let padding = (0..<VersionDiff.pairwiseLimit + 1).map { template("{\"pad\":\($0)}") }
        var paddedOld = old + padding, paddedNew = new
        let pairs = VersionDiff.removeIdentical(&paddedOld, &paddedNew)
        old = Array(paddedOld.dropLast(padding.count))
        new = paddedNew
        return pairs
    }

    @Test func pairwiseAndCountingTakeTheSamePairs() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"a\":1} ", "{\"d\":[1,2]}"]
        for _ in 0..<500 {
            let old = (0..<Int.random(in: 0...9, using: &generator)).map { _ in
                Self.template(alphabet.randomElement(using: &generator)!, id: Int32.random(in: -1...0, using: &generator)) }
            let new = (0..<Int.random(in: 0...9, using: &generator)).map { _ in
                Self.template(alphabet.randomElement(using: &generator)!, id: Int32.random(in: -1...0, using: &generator)) }
            var (pairOld, pairNew) = (old, new), (countOld, countNew) = (old, new)
            let pairwise = VersionDiff.removeIdentical(&pairOld, &pairNew)
            let counted = Self.byCounting(&countOld, &countNew)
            #expect(pairwise == counted)
            #expect(pairOld == countOld && pairNew == countNew)
            #expect(pairOld.count == old.count - pairwise && pairNew.count == new.count - pairwise)
        }
    }

    @Test func equalityIsSameBytesAndHoles() {
        let a = Self.template("{\"x\":1}"), b = Self.template("{\"x\":1}"), c = Self.template("{\"x\":2}")
        #expect(a == b && a.hashValue == b.hashValue)
        #expect(a != c)
        #expect(a != Self.template("{\"x\":1}", id: 3))
        #expect(a != Self.template("{\"x\":1} "))
        #expect(Self.template("") == Self.template(""))
    }
}
