import DSVNative

/// One annotation as the diff sees it: its fields without the ids (ids are not identity), its
/// category by name (category ids are remapped between exports), its box for pairing. A wide
/// diff makes tens of thousands of these: the object stays a slice of its record's bytes, and
/// its geometry is kept as a digest, so that one costs no copy of its text beyond `content`.
public struct DiffAnnotation: Sendable, Equatable {
    /// The stored object, the holes of its lifted ids unfilled.
    let template: ObjectTemplate
    public var category: String
    public var bbox: [Double]?
    /// The `bbox` value as written, for display.
    public var bboxText: String?
    /// Everything that identifies the annotation's content: fields (minus ids) with the category
    /// by name, compact.
    let content: ContentBytes
    /// A digest of `geometry`: only annotations whose digests agree are compared by it.
    let geometryDigest: UInt64

    public init(template: ObjectTemplate, categories: [IDKey: String]) {
        self.template = template
        // The holes of lifted ids are filled with placeholders; ids are dropped from what is
        // compared.
        let scanned = template.withFilled(id: 0, imageID: 0) { Self.scan($0, categories, keepingGeometry: false) }
        if let fields = scanned {
            (category, bbox, bboxText, content, geometryDigest) = (fields.category, fields.bbox, fields.bboxText, fields.content,
                                                                   fields.geometryDigest)
            return
        }
        let members = Self.members(template.filled(id: 0, imageID: 0))
        let categoryValue = members.first { $0.0 == "category_id" }?.1
        let name = categoryValue.map { Self.name(of: IDKey($0), in: categories) } ?? "(none)"
        category = name
        let bboxValue = members.first { $0.0 == "bbox" }?.1
        bbox = bboxValue?.arrayValue?.compactMap(\.doubleValue)
        bboxText = bboxValue?.compact
        let comparable = members.map { $0.0 == "category_id" ? ("category", JSONValue.string(name)) : $0 }
        content = ContentBytes(Array(JSONValue.object(comparable).compact.utf8))
        geometryDigest = Self.geometry(of: members).digest
    }

    /// The annotation's stored text, ids filled with placeholders.
    var text: [UInt8] { template.filled(id: 0, imageID: 0) }

    /// The geometry alone (bbox, segmentation, keypoints), compact: what a relabel keeps.
    var geometry: ContentBytes {
        template.withFilled(id: 0, imageID: 0) { Self.scan($0, [:], keepingGeometry: true)?.geometry }
            ?? Self.geometry(of: Self.members(text))
    }

    static func geometry(of members: [(String, JSONValue)]) -> ContentBytes {
        ContentBytes(Array(JSONValue.object(members.filter { Self.geometryKeys.contains($0.0) }).compact.utf8))
    }

    /// Whether two annotations have the same geometry: by digest, then byte for byte.
    func sameGeometry(as other: DiffAnnotation) -> Bool {
        geometryDigest == other.geometryDigest && geometry == other.geometry
    }

    /// The annotation object with `id` and `image_id` removed and `category_id` kept as written
    /// (parsed when asked for: only changed annotations are shown).
    public var object: JSONValue { .object(Self.members(text)) }

    /// What changed from this annotation to `other`, field by field (ids aside), read off
    /// their texts (filled on the stack: a wide review asks this of thousands of pairs).
    public func fieldChanges(to other: DiffAnnotation, ignoring: Set<String> = []) -> [FieldChange] {
        let ignored = ignoring.isSuperset(of: Self.ids) ? ignoring : ignoring.union(Self.ids)
        return template.withFilled(id: 0, imageID: 0) { a in
            other.template.withFilled(id: 0, imageID: 0) { b in FieldChange.between(a, b, ignoring: ignored, prefix: "") }
        }
    }

    /// The members a field-by-field comparison of annotations never shows.
    public static let ids: Set<String> = ["id", "image_id"]

    /// The object for output, with `category` (the name) beside `category_id`.
    public var display: JSONValue {
        guard case .object(var members) = object else { return object }
        members.append(("category", .string(category)))
        return .object(members)
    }

    public static func == (a: DiffAnnotation, b: DiffAnnotation) -> Bool {
        a.content == b.content && a.text == b.text
    }

    static let geometryKeys: Set<String> = ["bbox", "segmentation", "keypoints"]

    static func members(_ text: [UInt8]) -> [(String, JSONValue)] {
        var members = (try? JSONValue.parse(text))?.objectValue ?? []
        members.removeAll { $0.0 == "id" || $0.0 == "image_id" }
        return members
    }

    static func name(of key: IDKey, in categories: [IDKey: String]) -> String {
        categories[key] ?? "category \(key)"
    }

    /// Category, box, content and geometry read off the text in place, without building a
    /// value: stored objects are minified, so for a text without escapes each member's bytes
    /// are already what `compact` would write. Nil (the parsing path decides) for a text with
    /// a backslash, as an escape may be written more than one way. The geometry's bytes are
    /// digested as they are met, and kept only when `keepingGeometry`.
    static func scan(_ bytes: UnsafeRawBufferPointer, _ categories: [IDKey: String], keepingGeometry: Bool)
        -> (category: String, bbox: [Double]?, bboxText: String?, content: ContentBytes, geometryDigest: UInt64, geometry: ContentBytes)? {
        guard bytes.first == UInt8(ascii: "{"), !bytes.contains(UInt8(ascii: "\\")) else { return nil }
        var scanner = JSONScanner(bytes)
        var content: [UInt8] = [UInt8(ascii: "{")], geometry: [UInt8] = keepingGeometry ? [UInt8(ascii: "{")] : []
        content.reserveCapacity(bytes.count + 16)
        var digest = ByteDigest()
        digest.add(UInt8(ascii: "{"))
        var geometryMembers = 0
        var category = "(none)"
        var bbox: [Double]?
        var bboxText: String?
        func append(_ range: Range<Int>, to out: inout [UInt8]) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: bytes[range])
        }
        func addGeometry(_ range: Range<Int>) {
            if geometryMembers > 0 { digest.add(UInt8(ascii: ",")) }
            geometryMembers += 1
            digest.add(UnsafeRawBufferPointer(rebasing: bytes[range]))
            if keepingGeometry { append(range, to: &geometry) }
        }
        do {
            try COCOReader.forEachMember(&scanner) { (key, value) throws(JSONSyntaxError) in
                let member = key.lowerBound..<value.upperBound
                switch MemberKey(bytes, key) {
                case .id: return
                case .categoryID:
                    category = name(of: IDKey(bytes, value), in: categories)
                    if content.count > 1 { content.append(UInt8(ascii: ",")) }
                    content.append(contentsOf: #""category":"#.utf8)
                    content.append(contentsOf: JSONString.encode(category).utf8)
                case .bbox:
                    if bboxText == nil {
                        let text = UnsafeRawBufferPointer(rebasing: bytes[value])
                        bbox = numbers(text) ?? (try? JSONValue.parse(text))?.arrayValue?.compactMap(\.doubleValue)
                        bboxText = String(decoding: text, as: UTF8.self)
                    }
                    append(member, to: &content)
                    addGeometry(member)
                case .geometry:
                    append(member, to: &content)
                    addGeometry(member)
                case .other:
                    append(member, to: &content)
                }
            }
        } catch {
            return nil
        }
        guard scanner.position == bytes.count else { return nil }
        content.append(UInt8(ascii: "}"))
        digest.add(UInt8(ascii: "}"))
        if keepingGeometry { geometry.append(UInt8(ascii: "}")) }
        return (category, bbox, bboxText, ContentBytes(content), digest.value, ContentBytes(geometry))
    }

    /// A compact array of plain numbers (`[x,y,w,h]`), read without building values; nil for
    /// anything else (the parser decides).
    static func numbers(_ value: UnsafeRawBufferPointer) -> [Double]? {
        guard value.count >= 2, value.first == UInt8(ascii: "["), value.last == UInt8(ascii: "]") else { return nil }
        var result: [Double] = []
        result.reserveCapacity(4)
        var start = 1
        for i in 1..<value.count {
            let c = value[i]
            guard c == UInt8(ascii: ",") || i == value.count - 1 else {
                if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") || c == UInt8(ascii: "\"") || c >= UInt8(ascii: "a") { return nil }
                continue
            }
            if i == start { return i == 1 && value.count == 2 ? [] : nil }
            guard let number = Double(String(decoding: UnsafeRawBufferPointer(rebasing: value[start..<i]), as: UTF8.self)) else { return nil }
            result.append(number)
            start = i + 1
        }
        return result
    }

    /// The members the diff treats apart, told by their key literal's bytes.
    enum MemberKey {
        case id, categoryID, bbox, geometry, other

        init(_ bytes: UnsafeRawBufferPointer, _ key: Range<Int>) {
            func equals(_ literal: StaticString) -> Bool {
                key.count == literal.utf8CodeUnitCount
                    && zip(bytes[key], UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)).allSatisfy { $0 == $1 }
            }
            if equals(#""id""#) || equals(#""image_id""#) { self = .id }
            else if equals(#""category_id""#) { self = .categoryID }
            else if equals(#""bbox""#) { self = .bbox }
            else if equals(#""segmentation""#) || equals(#""keypoints""#) { self = .geometry }
            else { self = .other }
        }
    }
}

/// How the annotations of one image changed (SPEC §6): exact matches by content first, then
/// pairs by box IoU ≥ 0.5 within a category ("modified"), then identical geometry across
/// categories ("relabeled"); the rest were added or removed.
public struct AnnotationChanges: Sendable {
    public var added: [DiffAnnotation] = []
    public var removed: [DiffAnnotation] = []
    public var modified: [(from: DiffAnnotation, to: DiffAnnotation)] = []
    public var relabeled: [(from: DiffAnnotation, to: DiffAnnotation)] = []
    public var unchanged = 0

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && modified.isEmpty && relabeled.isEmpty }

    public static let iouThreshold = 0.5

    public init(from old: [DiffAnnotation], to new: [DiffAnnotation]) {
        // 1. Exact matches by content, as multisets (duplicate identical annotations count).
        let (taken, newLeft) = VersionDiff.pairEqual(old.map(\.content), new.map(\.content))
        unchanged = new.count - newLeft.count
        var oldRest = old.indices.filter { !taken[$0] }
        // 2. Greedy pairs by IoU within a category, best pairs first.
        var pairs: [(iou: Double, old: Int, new: Int)] = []
        for n in newLeft {
            for o in oldRest where old[o].category == new[n].category {
                let iou = Self.iou(old[o].bbox, new[n].bbox)
                if iou >= Self.iouThreshold { pairs.append((iou, o, n)) }
            }
        }
        pairs.sort { $0.iou != $1.iou ? $0.iou > $1.iou : ($0.old, $0.new) < ($1.old, $1.new) }
        var usedOld = Set<Int>(), usedNew = Set<Int>()
        for pair in pairs where !usedOld.contains(pair.old) && !usedNew.contains(pair.new) {
            usedOld.insert(pair.old)
            usedNew.insert(pair.new)
            modified.append((old[pair.old], new[pair.new]))
        }
        oldRest.removeAll { usedOld.contains($0) }
        var newRest = newLeft.filter { !usedNew.contains($0) }
        // 3. Identical geometry across categories.
        for n in newRest {
            if let slot = oldRest.firstIndex(where: { old[$0].category != new[n].category && old[$0].sameGeometry(as: new[n]) }) {
                relabeled.append((old[oldRest[slot]], new[n]))
                oldRest.remove(at: slot)
                usedNew.insert(n)
            }
        }
        newRest.removeAll { usedNew.contains($0) }
        added = newRest.map { new[$0] }
        removed = oldRest.map { old[$0] }
        modified.sort { ($0.to.bbox ?? []).lexicographicallyPrecedes($1.to.bbox ?? []) }
    }

    /// Intersection over union of two `[x, y, w, h]` boxes; 0 when either is missing.
    public static func iou(_ a: [Double]?, _ b: [Double]?) -> Double {
        guard let a, let b, a.count >= 4, b.count >= 4 else { return 0 }
        let x1 = max(a[0], b[0]), y1 = max(a[1], b[1])
        let x2 = min(a[0] + a[2], b[0] + b[2]), y2 = min(a[1] + a[3], b[1] + b[3])
        let intersection = max(0, x2 - x1) * max(0, y2 - y1)
        let union = a[2] * a[3] + b[2] * b[3] - intersection
        return union > 0 ? intersection / union : (a == b ? 1 : 0)
    }
}

/// An annotation's content or geometry as compact bytes: compared with one `memcmp` and hashed
/// as one run (an array of bytes would hash and compare them one by one).
struct ContentBytes: Sendable, Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func == (a: ContentBytes, b: ContentBytes) -> Bool {
        a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in ByteSearch.equal(x, y) } }
    }

    func hash(into hasher: inout Swift.Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    /// The digest `ByteDigest` gives these bytes.
    var digest: UInt64 {
        var digest = ByteDigest()
        bytes.withUnsafeBytes { digest.add($0) }
        return digest.value
    }
}

/// A 64-bit digest of bytes given in pieces, the same however they are split — so a geometry
/// digested member by member as it is scanned equals the digest of its compact text. Taken
/// eight bytes at a time (a byte-at-a-time FNV-1a over every changed polygon was a tenth of a
/// wide diff's comparing); a collision only costs a comparison of the bytes.
struct ByteDigest {
    private var state: UInt64 = 0x243F_6A88_85A3_08D3
    /// The bytes not yet mixed in (fewer than eight), little-endian.
    private var tail: UInt64 = 0
    private var tailCount = 0
    private var length: UInt64 = 0

    mutating func add(_ byte: UInt8) {
        tail |= UInt64(byte) << (8 * tailCount)
        tailCount += 1
        length += 1
        if tailCount == 8 {
            mix(tail)
            (tail, tailCount) = (0, 0)
        }
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while tailCount != 0 && index < bytes.count {
            add(bytes[index])
            index += 1
        }
        while bytes.count - index >= 8 {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
            length += 8
            index += 8
        }
        while index < bytes.count {
            add(bytes[index])
            index += 1
        }
    }

    private mutating func mix(_ word: UInt64) {
        state = (state ^ word) &* 0x9E37_79B9_7F4A_7C15
        state ^= state >> 29
    }

    var value: UInt64 {
        var digest = self
        digest.mix(tail)
        var z = digest.state ^ length
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A field that differs between two versions of an annotation or image: `bbox`,
/// `attributes.occluded`, … with its old and new values as written (nil where absent). Kept
/// as text: a review prints thousands of them, mostly cut to a line, and parses none; `--json`
/// parses the values it writes.
public struct FieldChange: Sendable, Equatable {
    public var field: String
    /// The old value's text, compact, as the version stores it.
    public var fromText: String?
    /// The new value's text.
    public var toText: String?

    public init(field: String, fromText: String?, toText: String?) {
        self.field = field
        self.fromText = fromText
        self.toText = toText
    }

    public init(field: String, from: JSONValue?, to: JSONValue?) {
        self.init(field: field, fromText: from?.compact, toText: to?.compact)
    }

    public var from: JSONValue? { fromText.flatMap { try? JSONValue.parse(Array($0.utf8)) } }
    public var to: JSONValue? { toText.flatMap { try? JSONValue.parse(Array($0.utf8)) } }

    /// Field-by-field differences of two compact objects' texts (stored objects are minified);
    /// `attributes` is compared attribute by attribute. Members are read in place: one whose
    /// bytes are equal is equal; one whose bytes differ is parsed only when an escape could make
    /// different bytes the same string.
    public static func between(_ old: [UInt8], _ new: [UInt8], ignoring: Set<String> = []) -> [FieldChange] {
        old.withUnsafeBytes { a in new.withUnsafeBytes { b in between(a, b, ignoring: ignoring, prefix: "") } }
    }

    static func between(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, ignoring: Set<String>,
                        prefix: String) -> [FieldChange] {
        // Keys stay byte ranges (quotes included): equal bytes are the same key, and a key is
        // decoded only to be shown or when an escape could make other bytes the same key — a
        // wide review compares tens of thousands of annotations' members.
        let x = rawMembers(a), y = rawMembers(b)
        let backslash = UInt8(ascii: "\\")
        func sameKey(_ p: UnsafeRawBufferPointer, _ q: UnsafeRawBufferPointer) -> Bool {
            if ByteSearch.equal(p, q) { return true }
            guard p.contains(backslash) || q.contains(backslash) else { return false }
            return JSONString.decode(p) == JSONString.decode(q)
        }
        func isIgnored(_ key: UnsafeRawBufferPointer) -> Bool {
            guard !ignoring.isEmpty else { return false }
            guard !key.contains(backslash) else { return ignoring.contains(JSONString.decode(key)) }
            let name = UnsafeRawBufferPointer(rebasing: key.dropFirst().dropLast())
            return ignoring.contains { $0.utf8.elementsEqual(name) }
        }
        var visited: [UnsafeRawBufferPointer] = []
        var changes: [FieldChange] = []
        for key in x.map({ UnsafeRawBufferPointer(rebasing: a[$0.key]) }) + y.map({ UnsafeRawBufferPointer(rebasing: b[$0.key]) }) {
            guard !visited.contains(where: { sameKey($0, key) }) else { continue }
            visited.append(key)
            if isIgnored(key) { continue }
            let p = x.first { sameKey(UnsafeRawBufferPointer(rebasing: a[$0.key]), key) }?.value
            let q = y.first { sameKey(UnsafeRawBufferPointer(rebasing: b[$0.key]), key) }?.value
            let from = p.map { UnsafeRawBufferPointer(rebasing: a[$0]) }, to = q.map { UnsafeRawBufferPointer(rebasing: b[$0]) }
            if let from, let to, ByteSearch.equal(from, to) { continue }
            let name = JSONString.decode(key)
            if let from, let to {
                if name == "attributes", from.first == UInt8(ascii: "{"), to.first == UInt8(ascii: "{") {
                    changes += between(from, to, ignoring: [], prefix: prefix + "attributes.")
                    continue
                }
                if from.contains(backslash) || to.contains(backslash),
                   let v = try? JSONValue.parse(from), let w = try? JSONValue.parse(to), v == w { continue }
            }
            changes.append(FieldChange(field: prefix + name, fromText: from.map { String(decoding: $0, as: UTF8.self) },
                                       toText: to.map { String(decoding: $0, as: UTF8.self) }))
        }
        return changes
    }

    /// An object's members as byte ranges, each key with its quotes; none for a text that is
    /// not an object.
    static func rawMembers(_ bytes: UnsafeRawBufferPointer) -> [(key: Range<Int>, value: Range<Int>)] {
        var scanner = JSONScanner(bytes)
        guard scanner.peek() == UInt8(ascii: "{") else { return [] }
        var members: [(key: Range<Int>, value: Range<Int>)] = []
        do {
            try COCOReader.forEachMember(&scanner) { (key, value) throws(JSONSyntaxError) in members.append((key, value)) }
        } catch {
            return []
        }
        return members
    }
}
