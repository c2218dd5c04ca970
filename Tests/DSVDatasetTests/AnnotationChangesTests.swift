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
    /// Geometry is compared canonically, however the text was read (an escape sends it to the
    /// parser): a relabel is found across them, and a shape that differs in one number is not one.
    @Test func relabelsAreFoundByGeometryWhicheverWayItWasRead() {
        let plain = Self.annotation(#"{"category_id":1,"bbox":[5,5,10,10],"segmentation":[[5,5,15,5,15,15]],"attributes":{"note":"ab"}}"#)
        let escaped = Self.annotation(#"{"category_id":2,"bbox":[5,5,10,10],"segmentation":[[5,5,15,5,15,15]],"attributes":{"note":"a\u0062"}}"#)
        let moved = Self.annotation(#"{"category_id":2,"bbox":[5,5,10,10],"segmentation":[[5,5,15,5,15,16]]}"#)
        #expect(plain.relabelKey == escaped.relabelKey)
        #expect(Self.summary(AnnotationChanges(from: [plain], to: [escaped])) == ["unchanged 0", "⇄ " + String(decoding: plain.text, as: UTF8.self)
            + " → " + String(decoding: escaped.text, as: UTF8.self)])
        #expect(AnnotationChanges(from: [plain], to: [moved]).relabeled.isEmpty)
        #expect(plain.relabelKey != moved.relabelKey)
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
                let end = min(length, start + Int.random(in: 0...23, using: &generator))
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

extension AnnotationChangesTests {
    /// The changes as the diff found them when every annotation carried its content and box as
    /// arrays: exact matches by content bytes, pairs by IoU of the `bbox` numbers, sorted by
    /// them. The lean annotation (digests, four numbers, its text's ranges) must find the same.
    static func reference(from old: [DiffAnnotation], to new: [DiffAnnotation]) -> [String] {
        func iou(_ a: [Double]?, _ b: [Double]?) -> Double {
            guard let a, let b, a.count >= 4, b.count >= 4 else { return 0 }
            let x1 = max(a[0], b[0]), y1 = max(a[1], b[1])
            let x2 = min(a[0] + a[2], b[0] + b[2]), y2 = min(a[1] + a[3], b[1] + b[3])
            let intersection = max(0, x2 - x1) * max(0, y2 - y1)
            let union = a[2] * a[3] + b[2] * b[3] - intersection
            return union > 0 ? intersection / union : (a == b ? 1 : 0)
        }
        var changes = AnnotationChanges(from: [], to: [])
        let (taken, exactLeft) = VersionDiff.pairEqual(old.map(\.content), new.map(\.content))
        var oldRest = old.indices.filter { !taken[$0] }
        // The same content written otherwise, by canonical content alone.
        let (takenRewritten, newLeftIndices) = VersionDiff.pairEqual(oldRest.map { old[$0].canonicalContent },
                                                                     exactLeft.map { new[$0].canonicalContent })
        oldRest = oldRest.indices.filter { !takenRewritten[$0] }.map { oldRest[$0] }
        let newLeft = newLeftIndices.map { exactLeft[$0] }
        changes.unchanged = new.count - newLeft.count
        var pairs: [(iou: Double, old: Int, new: Int)] = []
        for n in newLeft {
            for o in oldRest where old[o].category == new[n].category {
                let value = iou(old[o].bbox, new[n].bbox)
                if value >= AnnotationChanges.iouThreshold { pairs.append((value, o, n)) }
            }
        }
        pairs.sort { $0.iou != $1.iou ? $0.iou > $1.iou : ($0.old, $0.new) < ($1.old, $1.new) }
        var usedOld = Set<Int>(), usedNew = Set<Int>()
        for pair in pairs where !usedOld.contains(pair.old) && !usedNew.contains(pair.new) {
            usedOld.insert(pair.old)
            usedNew.insert(pair.new)
            changes.modified.append(AnnotationPair(from: old[pair.old], to: new[pair.new]))
        }
        oldRest.removeAll { usedOld.contains($0) }
        var newRest = newLeft.filter { !usedNew.contains($0) }
        for n in newRest {
            if let slot = oldRest.firstIndex(where: { old[$0].category != new[n].category && old[$0].relabelKey == new[n].relabelKey }) {
                changes.relabeled.append(AnnotationPair(from: old[oldRest[slot]], to: new[n]))
                oldRest.remove(at: slot)
                usedNew.insert(n)
            }
        }
        newRest.removeAll { usedNew.contains($0) }
        changes.added = newRest.map { new[$0] }
        changes.removed = oldRest.map { old[$0] }
        changes.modified.sort { ($0.to.bbox ?? []).lexicographicallyPrecedes($1.to.bbox ?? []) }
        return summary(changes)
    }

    /// Random annotations of two exports whose category ids name different categories (a
    /// remapped id makes equal content of different bytes), with boxes of four numbers, of more,
    /// of no area, not plain, or none; escapes; a repeated category id. Few and many per image.
    @Test func leanAnnotationsFindWhatWholeOnesFound() {
        var generator = SplitMix(seed: 11)
        let oldNames: [IDKey: String] = [.integer(1): "car", .integer(2): "person", .integer(3): "car"]
        let newNames: [IDKey: String] = [.integer(1): "person", .integer(2): "car", .integer(7): "car"]
        let categories = [#""category_id":1"#, #""category_id":2"#, #""category_id":3"#, #""category_id":7"#,
                          #""category_id":1,"category_id":2"#]
        // Boxes alike but for how their numbers are written, and members in any order: the
        // same annotation, as a tool that rewrote the export writes it.
        let boxes = [#""bbox":[0,0,10,10]"#, #""bbox":[1,0,10,10]"#, #""bbox":[0,1,10,10]"#, #""bbox":[0,0,10,10,5]"#,
                     #""bbox":[0,0,10,10,6]"#, #""bbox":[3,3,0,0]"#, #""bbox":[3,3,0,0,1]"#, #""bbox":[3,3,0,0,2]"#, #""bbox":[0,0,10,"10"]"#,
                     #""bbox":[0.5,0,10,10]"#, #""bbox":[0.0,0,1e1,10.00]"#, #""bbox":[1.0,-0,10,10]"#, #""bbox":[3,3,0.0,0e5]"#,
                     #""bbox":[0.50,0,10,10]"#, ""]
        let rest = ["", #""iscrowd":1"#, #""attributes":{"note":"a\u0062"}"#, #""attributes":{"note":"ab"}"#,
                    #""segmentation":[[0,0,10,0,10,10]]"#, #""segmentation":[[0.0,0,10,0,1e1,10]]"#,
                    #""attributes":{"note":"ab","z":1.50}"#, #""attributes":{"z":1.5,"note":"ab"}"#]
        func random(_ names: [IDKey: String]) -> DiffAnnotation {
            let members = [categories.randomElement(using: &generator)!, boxes.randomElement(using: &generator)!,
                           rest.randomElement(using: &generator)!].filter { !$0.isEmpty }.shuffled(using: &generator)
            let text = "{" + members.joined(separator: ",") + "}"
            return DiffAnnotation(template: ObjectTemplate(bytes: ArraySlice(Array(text.utf8))), categories: names)
        }
        for round in 0..<400 {
            let most = round % 4 == 0 ? 40 : 8
            let old = (0..<Int.random(in: 0...most, using: &generator)).map { _ in random(oldNames) }
            let new = (0..<Int.random(in: 0...most, using: &generator)).map { _ in random(newNames) }
            #expect(Self.summary(AnnotationChanges(from: old, to: new)) == Self.reference(from: old, to: new))
            for annotation in old + new {
                // A digest where the box cannot stand for the content, and then the content's.
                #expect((annotation.contentDigest != nil) == (annotation.contentApart || annotation.box == nil))
                if let digest = annotation.contentDigest { #expect(digest == annotation.content.digest) }
            }
        }
    }

    /// The box shown is the `bbox` value as written, whichever way the text was read.
    @Test func boxesAreShownAsWritten() {
        let plain = Self.annotation(#"{"category_id":1,"bbox":[1.50,2,3,4e1]}"#)
        let escaped = Self.annotation(#"{"category_id":1,"note":"\u0041","bbox":[1.50,2,3,4e1]}"#)
        let none = Self.annotation(#"{"category_id":1}"#)
        #expect(plain.bboxText == "[1.50,2,3,4e1]" && escaped.bboxText == "[1.50,2,3,4e1]" && none.bboxText == nil)
        #expect(plain.bbox == [1.5, 2, 3, 40] && escaped.bbox == [1.5, 2, 3, 40] && none.bbox == nil)
    }
}

extension AnnotationChangesTests {
    /// Past the pairwise limit, boxes are paired through `OverlapSearch`: the same changes as
    /// trying every pair, for boxes of every size, near and far, equal, of no area, negative,
    /// beyond a double's range and absent, in two categories.
    @Test func overlapSearchFindsWhatEveryPairFinds() {
        var generator = SplitMix(seed: 23)
        let names: [IDKey: String] = [.integer(1): "car", .integer(2): "person"]
        func number(_ value: Double) -> String { String(format: "%.3f", value) }
        func box(near base: (Double, Double, Double, Double)) -> String {
            switch Int.random(in: 0..<20, using: &generator) {
            case 0: return #","bbox":[1e400,0,5,5]"#
            case 1: return #","bbox":[\#(number(base.0)),\#(number(base.1)),-4,6]"#
            case 2: return #","bbox":[\#(number(base.0)),\#(number(base.1)),0,0]"#
            case 3: return ""
            case 4: return #","bbox":[\#(number(base.0)),\#(number(base.1)),\#(number(base.2)),\#(number(base.3))]"#
            default:
                func jitter(_ value: Double, _ spread: Double) -> Double { value + Double.random(in: -spread...spread, using: &generator) }
                let scale = Double.random(in: 0.6...1.6, using: &generator)
                return #","bbox":[\#(number(jitter(base.0, base.2 / 3))),\#(number(jitter(base.1, base.3 / 3))),"#
                    + #"\#(number(base.2 * scale)),\#(number(base.3 / scale))]"#
            }
        }
        for _ in 0..<12 {
            let bases = (0..<40).map { _ in
                (Double.random(in: 0...500, using: &generator), Double.random(in: 0...500, using: &generator),
                 Double.random(in: 0.01...80, using: &generator), Double.random(in: 0.01...80, using: &generator))
            }
            func annotations() -> [DiffAnnotation] {
                (0..<Int.random(in: 70...160, using: &generator)).map { index in
                    let text = #"{"category_id":\#(Int.random(in: 1...2, using: &generator))"# + box(near: bases.randomElement(using: &generator)!)
                        + #","n":\#(index)}"#
                    return DiffAnnotation(template: ObjectTemplate(bytes: ArraySlice(Array(text.utf8))), categories: names)
                }
            }
            let (old, new) = (annotations(), annotations())
            #expect(old.count * new.count > OverlapSearch.pairwiseLimit)
            #expect(Self.summary(AnnotationChanges(from: old, to: new)) == Self.reference(from: old, to: new))
        }
    }

    /// A box is shown from the stored template, whose lifted ids are holes before or after it.
    @Test func boxesAreShownFromTemplatesWithHoles() {
        let text = #"{"id":,"image_id":,"category_id":1,"bbox":[1,2,3,4],"area":12}"#
        var template = ObjectTemplate(bytes: ArraySlice(Array(text.utf8)))
        template.idOffset = Int32(text.utf8.count - #","image_id":,"category_id":1,"bbox":[1,2,3,4],"area":12}"#.utf8.count)
        template.imageIDOffset = Int32(text.utf8.count - #","category_id":1,"bbox":[1,2,3,4],"area":12}"#.utf8.count)
        for (id, imageID) in [(template.idOffset, template.imageIDOffset), (template.imageIDOffset, template.idOffset)] {
            var holed = template
            (holed.idOffset, holed.imageIDOffset) = (id, imageID)
            let annotation = DiffAnnotation(template: holed, categories: Self.categories)
            #expect(annotation.bboxText == "[1,2,3,4]" && annotation.bbox == [1, 2, 3, 4])
        }
        let one = #"{"id":,"category_id":1,"bbox":[1,2,3,4]}"#
        var single = ObjectTemplate(bytes: ArraySlice(Array(one.utf8)))
        single.idOffset = 6
        #expect(DiffAnnotation(template: single, categories: Self.categories).bboxText == "[1,2,3,4]")
        let after = #"{"category_id":1,"bbox":[5,6,7,8],"id":}"#
        var late = ObjectTemplate(bytes: ArraySlice(Array(after.utf8)))
        late.idOffset = Int32(after.utf8.count - 1)
        #expect(DiffAnnotation(template: late, categories: Self.categories).bboxText == "[5,6,7,8]")
    }

    /// Relabels among many leftovers are found through their geometry digests: the same as
    /// trying every pair.
    @Test func manyRelabelsMatchTheReference() {
        var generator = SplitMix(seed: 5)
        let names: [IDKey: String] = [.integer(1): "car", .integer(2): "person", .integer(3): "bus"]
        func annotations(_ count: Int) -> [DiffAnnotation] {
            (0..<count).map { _ in
                let shape = Int.random(in: 0..<30, using: &generator)
                let text = #"{"category_id":\#(Int.random(in: 1...3, using: &generator)),"segmentation":[[\#(shape),0,5,5,0,5]],"#
                    + #""bbox":[\#(shape * 100),0,5,5]}"#
                return DiffAnnotation(template: ObjectTemplate(bytes: ArraySlice(Array(text.utf8))), categories: names)
            }
        }
        for _ in 0..<10 {
            let (old, new) = (annotations(90), annotations(90))
            #expect(Self.summary(AnnotationChanges(from: old, to: new)) == Self.reference(from: old, to: new))
        }
    }
}

extension AnnotationChangesTests {
    /// A box's plain decimals are read as parsing their text reads them, to the last bit.
    @Test func plainDecimalsReadAsTheirText() {
        var generator = SplitMix(seed: 3)
        var texts = ["0", "-0", "0.0", "1", "-1.5", "123.45", "0.1", "0.3", "999999999999999", "0.0000000000000000000001",
                     "100000000000000.5", "1.7976931348623157", "12345678901234.5", "-0.000000000000001"]
        for _ in 0..<20_000 {
            let digits = (0..<Int.random(in: 1...15, using: &generator)).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            let point = Int.random(in: 0...digits.count, using: &generator)
            let text = (Bool.random(using: &generator) ? "-" : "") + digits.prefix(point) + (point < digits.count ? "." + digits.dropFirst(point) : "")
            texts.append(text.hasPrefix(".") || text.hasPrefix("-.") ? text.replacingOccurrences(of: ".", with: "0.") : text)
        }
        var read = 0
        for text in texts {
            // Declined (more digits than the fast path takes): parsing the text decides.
            guard let fast = Array(text.utf8).withUnsafeBytes({ DiffAnnotation.plainDecimal($0) }) else { continue }
            read += 1
            #expect(fast.bitPattern == Double(text)!.bitPattern, "\(text)")
        }
        #expect(read > 19_000)
        for text in ["1e5", "1.5.5", "", "-", "1234567890123456", "0.12345678901234567890123", "+1", "0x10"] {
            #expect(Array(text.utf8).withUnsafeBytes { DiffAnnotation.plainDecimal($0) } == nil, "\(text)")
        }
    }
}
