@testable import DSVDataset
import DSVTestSupport
import Testing

/// Exact matches are found the same way whether an image's annotations are few (compared
/// pairwise) or many (looked up by content): the same pairs, so the same changes.
@Suite struct AnnotationChangesTests {
    static let categories: [IDKey: String] = [IDKey.integer(1): "car", IDKey.integer(2): "person"]

    static func annotation(_ text: String) -> DiffAnnotation {
        DiffAnnotation(template: ObjectTemplate(bytes: ArraySlice(Array(text.utf8))), categories: categories)
    }

    /// A change as comparable text: what was added, removed, modified and relabeled, in order.
    static func summary(_ changes: AnnotationChanges, droppingRemoved pads: Int = 0) -> [String] {
        func text(_ annotation: DiffAnnotation) -> String { String(decoding: annotation.text, as: UTF8.self) }
        return ["unchanged \(changes.unchanged)"] + changes.added.map { "+ " + text($0) }
            + changes.removed.dropLast(pads).map { "- " + text($0) }
            + changes.modified.map { "~ " + text($0.from) + " → " + text($0.to) }
            + changes.relabeled.map { "⇄ " + text($0.from) + " → " + text($0.to) }
    }

    @Test func pairwiseAndLookedUpMatchesAgree() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = [#"{"category_id":1,"bbox":[0,0,10,10]}"#, #"{"category_id":1,"bbox":[1,0,10,10]}"#,
                        #"{"category_id":2,"bbox":[0,0,10,10]}"#, #"{"category_id":2,"bbox":[50,50,5,5],"iscrowd":1}"#,
                        #"{"category_id":1,"bbox":[50,50,5,5],"iscrowd":1}"#, #"{"category_id":3,"bbox":[0,0,10,10]}"#]
        for _ in 0..<300 {
            let old = (0..<Int.random(in: 0...12, using: &generator)).map { _ in Self.annotation(alphabet.randomElement(using: &generator)!) }
            let new = (0..<Int.random(in: 0...12, using: &generator)).map { _ in Self.annotation(alphabet.randomElement(using: &generator)!) }
            let pairwise = AnnotationChanges(from: old, to: new)
            // Past the pairwise limit with annotations nothing matches: no box, each its own shape.
            let pads = (0...VersionDiff.pairwiseLimit).map { Self.annotation(#"{"pad":\#($0),"segmentation":[[\#($0)]]}"#) }
            let lookedUp = AnnotationChanges(from: old + pads, to: new)
            #expect(Self.summary(pairwise) == Self.summary(lookedUp, droppingRemoved: pads.count))
        }
    }
}

extension AnnotationChangesTests {
    /// Geometry is kept as a digest taken while the text is scanned, or from the parsed members
    /// when the text has an escape: the two agree, so a relabel is found across them, and a
    /// shape that differs in one number is not one.
    @Test func relabelsAreFoundByGeometryWhicheverWayItWasRead() {
        let plain = Self.annotation(#"{"category_id":1,"bbox":[5,5,10,10],"segmentation":[[5,5,15,5,15,15]],"attributes":{"note":"ab"}}"#)
        let escaped = Self.annotation(#"{"category_id":2,"bbox":[5,5,10,10],"segmentation":[[5,5,15,5,15,15]],"attributes":{"note":"a\u0062"}}"#)
        let moved = Self.annotation(#"{"category_id":2,"bbox":[5,5,10,10],"segmentation":[[5,5,15,5,15,16]]}"#)
        #expect(plain.geometryDigest == escaped.geometryDigest && plain.geometry == escaped.geometry)
        #expect(plain.geometryDigest == plain.geometry.digest)
        #expect(Self.summary(AnnotationChanges(from: [plain], to: [escaped])) == ["unchanged 0", "⇄ " + String(decoding: plain.text, as: UTF8.self)
            + " → " + String(decoding: escaped.text, as: UTF8.self)])
        #expect(AnnotationChanges(from: [plain], to: [moved]).relabeled.isEmpty)
        #expect(plain.geometryDigest != moved.geometryDigest)
    }
}

extension AnnotationChangesTests {
    /// A digest is the same however its bytes are split (byte by byte, in words, in pieces of
    /// any length), and differs when a byte does.
    @Test func digestsDoNotDependOnHowBytesAreSplit() {
        var generator = SplitMix(seed: 7)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var whole = ByteDigest(), single = ByteDigest(), pieces = ByteDigest()
            bytes.withUnsafeBytes { whole.add($0) }
            for byte in bytes { single.add(byte) }
            var start = 0
            while start < length {
                let end = min(length, start + Int.random(in: 0...11, using: &generator))
                bytes[start..<end].withUnsafeBytes { pieces.add($0) }
                start = end
            }
            #expect(whole.value == single.value && whole.value == pieces.value, "\(length) bytes")
            if length > 0 {
                var changed = bytes
                changed[Int.random(in: 0..<length, using: &generator)] ^= 1
                var other = ByteDigest()
                changed.withUnsafeBytes { other.add($0) }
                #expect(other.value != whole.value)
            }
            var longer = ByteDigest()
            (bytes + [0]).withUnsafeBytes { longer.add($0) }
            #expect(longer.value != whole.value, "a trailing zero byte counts")
        }
    }
}
