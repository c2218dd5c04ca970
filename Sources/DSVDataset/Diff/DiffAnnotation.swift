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

    /// An `[x, y, w, h]` box: the first four numbers of a `bbox`.
    struct Box: Sendable, Hashable {
        var x, y, width, height: Double
        /// The numbers the value holds in all (a box of exactly four sorts as its four numbers).
        var count: Int

        init?(_ numbers: [Double]?) {
            guard let numbers, numbers.count >= 4 else { return nil }
            (x, y, width, height, count) = (numbers[0], numbers[1], numbers[2], numbers[3], numbers.count)
        }

        init(x: Double, y: Double, width: Double, height: Double) {
            (self.x, self.y, self.width, self.height, count) = (x, y, width, height, 4)
        }
    }

    /// What one reading of an annotation's text gives.
    struct Fields {
        var category: String?
        var box: Box?
        var bboxRange: Range<Int>?
        /// Made by the parsing path only (`scan` digests nothing).
        var contentDigest: UInt64?
        var contentApart = false
        /// Filled only when asked for (`keepingContent`).
        var content = ContentBytes([])
    }

    /// Category and box read off the text in place, and the content when asked for, without
    /// building a value: stored objects are minified, so for a text without escapes each
    /// member's bytes are already what `compact` would write. Nil (the parsing path decides)
    /// for a text with a backslash, as an escape may be written more than one way.
    static func scan(_ bytes: UnsafeRawBufferPointer, _ categories: CategoryTable, keepingContent keepContent: Bool) -> Fields? {
        // A backslash looked for with `memchr`: byte by byte, that loop was most of the scan.
        guard bytes.first == UInt8(ascii: "{"), ByteSearch.first(UInt8(ascii: "\\"), in: bytes, from: 0, to: bytes.count) == nil else {
            return nil
        }
        var scanner = JSONScanner(bytes)
        var fields = Fields()
        var content: [UInt8] = keepContent ? [UInt8(ascii: "{")] : []
        if keepContent { content.reserveCapacity(bytes.count + 16) }
        var (contentMembers, categoryMembers) = (0, 0)
        func addMember(_ member: UnsafeRawBufferPointer) {
            guard keepContent else { return }
            if contentMembers > 0 { content.append(UInt8(ascii: ",")) }
            content.append(contentsOf: member)
            contentMembers += 1
        }
        func addMember(_ range: Range<Int>) { addMember(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        do {
            try COCOReader.forEachMember(&scanner) { (key, value) throws(JSONSyntaxError) in
                let member = key.lowerBound..<value.upperBound
                switch MemberKey(bytes, key) {
                case .id: return
                case .categoryID:
                    categoryMembers += 1
                    let entry = categories.entry(bytes, value)
                    fields.category = categories.name(entry, IDKey(bytes, value))
                    categories.withMember(entry, IDKey(bytes, value)) { addMember($0) }
                case .bbox:
                    if fields.bboxRange == nil {
                        fields.bboxRange = value
                        fields.box = Self.box(UnsafeRawBufferPointer(rebasing: bytes[value]))
                    }
                    addMember(member)
                case .other:
                    addMember(member)
                }
            }
        } catch {
            return nil
        }
        guard scanner.position == bytes.count else { return nil }
        if keepContent { content.append(UInt8(ascii: "}")) }
        fields.contentApart = categoryMembers > 1
        if keepContent { fields.content = ContentBytes(content) }
        return fields
    }

    /// The same fields by parsing (a text with an escape, or one the scan refused): the
    /// category is the first `category_id`'s, which stands for each of them in the content.
    static func parsedFields(_ bytes: UnsafeRawBufferPointer, _ categories: CategoryTable, keepingContent: Bool) -> Fields {
        var fields = Fields()
        fields.contentApart = true
        let members = Self.members(Array(bytes))
        if let value = members.first(where: { $0.0 == "category_id" })?.1 {
            fields.category = categories.name(categories.entry(IDKey(value)), IDKey(value))
        }
        if let bbox = FieldChange.rawMembers(bytes).first(where: { JSONString.decode(UnsafeRawBufferPointer(rebasing: bytes[$0.key])) == "bbox" }) {
            fields.bboxRange = bbox.value
            fields.box = Box(numbers(in: UnsafeRawBufferPointer(rebasing: bytes[bbox.value])))
        }
        let comparable = members.map { $0.0 == "category_id" ? ("category", fields.category.map { .string($0) } ?? .null) : $0 }
        let content = ContentBytes(Array(JSONValue.object(comparable).compact.utf8))
        fields.contentDigest = content.digest
        if keepingContent { fields.content = content }
        return fields
    }

    /// A value's numbers: a compact array of plain numbers read without building values, else
    /// the numbers of what the parser makes of it.
    static func numbers(in value: UnsafeRawBufferPointer) -> [Double]? {
        numbers(value) ?? (try? JSONValue.parse(value))?.arrayValue?.compactMap(\.doubleValue)
    }

    /// The box of a `bbox` value: four plain numbers read in place (as nearly every box is
    /// written), else the first four of `numbers(in:)`.
    static func box(_ value: UnsafeRawBufferPointer) -> Box? {
        var values: (Double, Double, Double, Double) = (0, 0, 0, 0)
        var found = 0
        let plain = plainNumbers(value) { number in
            guard found < 4 else { return false }  // more than four: the whole array decides
            switch found {
            case 0: values.0 = number
            case 1: values.1 = number
            case 2: values.2 = number
            default: values.3 = number
            }
            found += 1
            return true
        }
        if plain { return found == 4 ? Box(x: values.0, y: values.1, width: values.2, height: values.3) : nil }
        return Box(numbers(in: value))
    }

    /// A compact array of plain numbers (`[x,y,w,h]`), read without building values; nil for
    /// anything else (the parser decides).
    static func numbers(_ value: UnsafeRawBufferPointer) -> [Double]? {
        var result: [Double] = []
        result.reserveCapacity(4)
        return plainNumbers(value) { result.append($0); return true } ? result : nil
    }

    /// Hands `each` the numbers of a compact array of plain numbers, in order, read in place;
    /// false when the value is anything else, or when `each` asked to stop.
    static func plainNumbers(_ value: UnsafeRawBufferPointer, _ each: (Double) -> Bool) -> Bool {
        guard value.count >= 2, value.first == UInt8(ascii: "["), value.last == UInt8(ascii: "]") else { return false }
        var start = 1
        for i in 1..<value.count {
            let c = value[i]
            guard c == UInt8(ascii: ",") || i == value.count - 1 else {
                if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") || c == UInt8(ascii: "\"") || c >= UInt8(ascii: "a") { return false }
                continue
            }
            if i == start { return i == 1 && value.count == 2 }
            let text = UnsafeRawBufferPointer(rebasing: value[start..<i])
            guard let number = Self.plainDecimal(text) ?? Double(String(decoding: text, as: UTF8.self)), each(number) else { return false }
            start = i + 1
        }
        return true
    }

    /// A plain decimal's value (`-12.5`), exactly as `Double(text)` reads it, without making a
    /// string: up to 15 digits and 22 of them after the point, the digits as an integer and the
    /// power of ten are both exact doubles, so one division rounds as parsing the text would
    /// (the boxes of a wide diff are tens of thousands of numbers). Nil for anything else.
    static func plainDecimal(_ text: UnsafeRawBufferPointer) -> Double? {
        var index = 0, digits = 0, fraction = 0, point = false
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        var mantissa: UInt64 = 0
        while index < text.count {
            let byte = text[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                mantissa = mantissa &* 10 &+ UInt64(byte - UInt8(ascii: "0"))  // wraps past 19 digits, refused below
                digits += 1
                if point { fraction += 1 }
            } else if byte == UInt8(ascii: "."), !point {
                point = true
            } else {
                return nil
            }
            index += 1
        }
        guard digits > 0, digits <= 15, fraction <= 22 else { return nil }
        let value = Double(mantissa) / Self.powersOfTen[fraction]
        return negative ? -value : value
    }

    static let powersOfTen: [Double] = (0...22).map { power in (0..<power).reduce(1.0) { value, _ in value * 10 } }

    /// The members the diff treats apart, told by their key literal's bytes.
    enum MemberKey {
        case id, categoryID, bbox, other

        init(_ bytes: UnsafeRawBufferPointer, _ key: Range<Int>) {
            func equals(_ literal: StaticString) -> Bool {
                key.count == literal.utf8CodeUnitCount
                    && zip(bytes[key], UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)).allSatisfy { $0 == $1 }
            }
            if equals(#""id""#) || equals(#""image_id""#) { self = .id }
            else if equals(#""category_id""#) { self = .categoryID }
            else if equals(#""bbox""#) { self = .bbox }
            else { self = .other }
        }
    }
}
