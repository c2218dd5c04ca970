import DSVJSON
import DSVNative

/// One annotation as the diff sees it: its fields without the ids (ids are not identity), its
/// category by name (category ids are remapped between exports), its box for pairing. A wide
/// diff makes tens of thousands of these, so one holds no text of its own: the object stays a
/// slice of its record's bytes, its box is kept as four numbers beside the place of its `bbox`
/// text (equal contents have equal boxes, so only those are compared; a digest of the content
/// is kept where the box cannot stand for it). What is equal only once written alike
/// (`canonicalContent`, `canonicalGeometry`) is made on demand, for the few annotations a
/// byte-level match leaves.
/// Three arrays and two strings of its own each were a fifth of a wide diff's comparing, and
/// their reference counting much of its copying.
public struct DiffAnnotation: Sendable, Equatable {
    /// The stored object, the holes of its lifted ids unfilled.
    private(set) var template: ObjectTemplate
    /// Category id → name of the annotation's subset, kept only by one whose content is
    /// compared whole (`contentApart`): any other is made again from `category`, its one
    /// category. A table in every annotation was a reference count that both cores wrote on
    /// every copy of one.
    private let apartCategories: CategoryTable?
    /// The category's name (an id the subset does not name: "category N"); nil for an object
    /// without a `category_id` (a caption), which a category of any name could not stand for.
    public var category: String?
    /// The `bbox` value's first four numbers, for pairing by IoU; nil without four numbers.
    let box: Box?
    /// Where the first `bbox` value lies in the template's bytes (a value never holds a hole):
    /// shown from there, without filling the whole object in.
    let bboxRange: Range<Int32>?
    /// A digest of `content`, made only where the box cannot stand for it (`sameContent`): for
    /// an annotation compared whole (`contentApart`) or without a four-number box. Digesting
    /// every annotation read was a twentieth of a wide diff.
    let contentDigest: UInt64?
    /// Whether the content was not read off the text in place (an escape in it) or a category
    /// id appears twice: then equal texts do not show equal contents, which are compared whole.
    let contentApart: Bool

    public init(template: ObjectTemplate, categories: [IDKey: String]) {
        self.init(template: template, categories: CategoryTable(categories))
    }

    public init(template: ObjectTemplate, categories: CategoryTable) {
        self.template = template
        // The holes of lifted ids are filled with placeholders; ids are dropped from what is
        // compared.
        let fields = template.withFilled(id: 0, imageID: 0) { bytes in
            var fields = Self.scan(bytes, categories, keepingContent: false) ?? Self.parsedFields(bytes, categories, keepingContent: false)
            if fields.contentDigest == nil && (fields.contentApart || fields.box == nil) {
                fields.contentDigest = (Self.scan(bytes, categories, keepingContent: true)?.content ?? ContentBytes([])).digest
            }
            return fields
        }
        category = fields.category
        box = fields.box
        bboxRange = fields.bboxRange.map { Self.templateRange(of: $0, in: template) }
        contentDigest = fields.contentDigest
        contentApart = fields.contentApart
        // Retained only when kept: the table is every annotation's on both cores.
        if fields.contentApart { apartCategories = categories } else { apartCategories = nil }
    }

    /// The annotations of one side of an image: read on all cores when there are thousands (a
    /// crowd, cells, an aerial tile), where one image is all a diff compares.
    static func all(_ templates: [ObjectTemplate], categories: CategoryTable) -> [DiffAnnotation] {
        guard templates.count >= 4096 else { return templates.map { DiffAnnotation(template: $0, categories: categories) } }
        return Parallel.map(templates.count, chunk: 1024) { DiffAnnotation(template: templates[$0], categories: categories) }
    }

    /// Reads the annotation from `bytes` from now on, a copy of its template's
    /// (`AnnotationChanges.compact`).
    mutating func rebase(onto bytes: ArraySlice<UInt8>) { template.bytes = bytes }

    /// Where a range of the text filled with placeholders (each hole one byte, `0`) lies in the
    /// template's own bytes, for a range that holds no hole.
    static func templateRange(of filled: Range<Int>, in template: ObjectTemplate) -> Range<Int32> {
        let (first, second) = template.idOffset <= template.imageIDOffset
            ? (template.idOffset, template.imageIDOffset) : (template.imageIDOffset, template.idOffset)
        var shift: Int32 = 0
        let lower = Int32(filled.lowerBound)
        if first >= 0 && first < lower { shift += 1 }
        if second >= 0 && second + shift < lower { shift += 1 }
        return (lower - shift)..<(Int32(filled.upperBound) - shift)
    }

    /// The annotation's stored text, ids filled with placeholders.
    var text: [UInt8] { template.filled(id: 0, imageID: 0) }

    /// Everything that identifies the annotation's content: fields (minus ids) with the category
    /// by name, compact.
    var content: ContentBytes {
        let categories = apartCategories ?? CategoryTable(everyID: category ?? "")
        return template.withFilled(id: 0, imageID: 0) { bytes in
            (Self.scan(bytes, categories, keepingContent: true) ?? Self.parsedFields(bytes, categories, keepingContent: true)).content
        }
    }

    /// The content as `JSONValue.canonical` writes it (members in key order, numbers by value):
    /// equal for two annotations a tool wrote differently — a reordered object, `111.70` for
    /// `111.7` — which are the same annotation.
    var canonicalContent: ContentBytes { Self.canonical(content.bytes) }

    /// What a relabel keeps, canonical: the geometry (bbox, segmentation, keypoints) — or, for
    /// an annotation with none (a caption), everything it says but its category (`membersText`):
    /// two captions that say different things are not one caption relabeled.
    var relabelKey: ContentBytes {
        let geometry = template.withFilled(id: 0, imageID: 0) { bytes -> [UInt8]? in
            var geometry: [UInt8] = [UInt8(ascii: "{")]
            for member in FieldChange.rawMembers(bytes) {
                let key = UnsafeRawBufferPointer(rebasing: bytes[member.key])
                guard Self.geometryKeys.contains(JSONString.decode(key)) else { continue }
                if geometry.count > 1 { geometry.append(UInt8(ascii: ",")) }
                geometry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[member.key.lowerBound..<member.value.upperBound]))
            }
            guard geometry.count > 1 else { return nil }
            geometry.append(UInt8(ascii: "}"))
            return geometry
        }
        return Self.canonical(geometry ?? Array(membersText.utf8))
    }

    /// `JSONValue.writeCanonical` of an object's compact text.
    static func canonical(_ text: [UInt8]) -> ContentBytes {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        let written = text.withUnsafeBytes { JSONValue.writeCanonical($0, into: &out) }
        return ContentBytes(written ? out : text)
    }

    /// The `bbox` value as written, for display.
    public var bboxText: String? { withBBoxBytes { String(decoding: $0, as: UTF8.self) } }

    /// `body` given the `bbox` value's text in place (empty without one): a review writes
    /// tens of thousands of boxes, and made a string of each.
    public func withBBoxText<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withBBoxBytes { body(UnsafeRawBufferPointer($0)) } ?? body(UnsafeRawBufferPointer(start: nil, count: 0))
    }

    /// Whether the annotation has a `bbox`.
    public var hasBBox: Bool { bboxRange != nil }

    /// Its members but the ids and `category_id` (which a review shows by name), as compact
    /// JSON: what a review line shows of an annotation without a box — a caption, a panoptic
    /// image's segments — where a box would say where it is.
    public var membersText: String {
        JSONValue.object(Self.members(text).filter { $0.0 != "category_id" }).compact
    }

    /// The `bbox` value's numbers.
    public var bbox: [Double]? { withBBoxBytes { Self.numbers(in: UnsafeRawBufferPointer($0)) } ?? nil }

    /// Whether `other`'s `bbox` holds the same value (written alike or not): a modified
    /// annotation's line shows its box moving only when it moved.
    public func hasSameBox(as other: DiffAnnotation) -> Bool {
        withBBoxBytes { a in other.withBBoxBytes { b in JSONValue.sameValue(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b)) } ?? false }
            ?? (other.bboxRange == nil)
    }

    /// `body` given the `bbox` value's bytes, in place (typed: a string is made of them without
    /// going byte by byte); nil without one.
    private func withBBoxBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        guard let range = bboxRange else { return nil }
        let start = template.bytes.startIndex
        return template.bytes[(start + Int(range.lowerBound))..<(start + Int(range.upperBound))].withUnsafeBufferPointer(body)
    }

    /// Whether two annotations have the same content: by digest where both have one; else two
    /// read off their texts hold the same first `bbox` bytes, so the same box, when their
    /// contents are equal — compared by their texts when those show it; else compared whole.
    func sameContent(as other: DiffAnnotation) -> Bool {
        switch (contentDigest, other.contentDigest) {
        case let (a?, b?):
            guard a == b else { return false }
        case (nil, nil):
            guard box == other.box else { return false }
            if template == other.template && category == other.category { return true }
        default:
            // One read off its text with a box, the other without one (then not equal) or
            // compared whole.
            guard contentApart || other.contentApart else { return false }
        }
        return content == other.content
    }

    /// What equal contents share, for hashing: the box, else the digest.
    func hashContent(into hasher: inout Swift.Hasher) {
        if let box { hasher.combine(box) } else { hasher.combine(contentDigest) }
    }

    /// The annotation object with `id` and `image_id` removed and `category_id` kept as written
    /// (parsed when asked for: only changed annotations are shown).
    public var object: JSONValue { .object(Self.members(text)) }

    /// What changed from this annotation to `other`, field by field (ids aside).
    public func fieldChanges(to other: DiffAnnotation, ignoring: Set<String> = []) -> [FieldChange] {
        var changes: [FieldChange] = []
        forEachFieldChange(to: other, ignoring: ignoring) { changes.append(FieldChange(field: $0, from: $1, to: $2)) }
        return changes
    }

    /// The same changes handed to `each` as a field's name and its old and new values' bytes
    /// (nil where absent), read off the two texts filled on the stack: a wide review asks this
    /// of thousands of pairs, and shows a line of each value.
    public func forEachFieldChange(to other: DiffAnnotation, ignoring: Set<String> = [],
                                   _ each: (String, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> Void) {
        forEachFieldChange(to: other, ignoring: Self.ignoring(ignoring), each)
    }

    /// The same with the ignored fields made once (`ignoring(_:)`), for a review that asks it of
    /// thousands of pairs.
    public func forEachFieldChange(to other: DiffAnnotation, ignoring: FieldChange.Ignored,
                                   _ each: (String, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> Void) {
        template.withFilled(id: 0, imageID: 0) { a in
            other.template.withFilled(id: 0, imageID: 0) { b in FieldChange.forEachChange(a, b, ignoring: ignoring, prefix: "", each) }
        }
    }

    /// `fields` and the ids, which a field-by-field comparison of annotations never shows.
    public static func ignoring(_ fields: Set<String>) -> FieldChange.Ignored { FieldChange.Ignored(fields.union(ids)) }

    /// The members a field-by-field comparison of annotations never shows.
    public static let ids: Set<String> = ["id", "image_id"]

    /// The object for output, with `category` (the name) beside `category_id` — null for an
    /// object without one (a caption).
    public var display: JSONValue {
        guard case .object(var members) = object else { return object }
        members.append(("category", category.map { .string($0) } ?? .null))
        return .object(members)
    }

    public static func == (a: DiffAnnotation, b: DiffAnnotation) -> Bool {
        a.text == b.text && a.content == b.content
    }

    static let geometryKeys: Set<String> = ["bbox", "segmentation", "keypoints"]

    static func members(_ text: [UInt8]) -> [(String, JSONValue)] {
        var members = (try? JSONValue.parse(text))?.objectValue ?? []
        members.removeAll { $0.0 == "id" || $0.0 == "image_id" }
        return members
    }
}
