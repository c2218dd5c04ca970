import DSVJSON
import DSVNative

/// What a diff reads of an annotation's text — its category's name and its box, and its content
/// when asked for: in place over the bytes (`scan`), or by a parse where an escape could be
/// written more than one way.
extension DiffAnnotation {
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
