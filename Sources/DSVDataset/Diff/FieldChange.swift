import DSVJSON
import DSVNative

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

    /// A change whose values are texts in place.
    init(field: String, from: UnsafeRawBufferPointer?, to: UnsafeRawBufferPointer?) {
        self.init(field: field, fromText: from.map { String(decoding: $0, as: UTF8.self) }, toText: to.map { String(decoding: $0, as: UTF8.self) })
    }

    public var from: JSONValue? { fromText.flatMap { try? JSONValue.parse(Array($0.utf8)) } }
    public var to: JSONValue? { toText.flatMap { try? JSONValue.parse(Array($0.utf8)) } }

    /// Field-by-field differences of two compact objects' texts (stored objects are minified);
    /// `attributes` is compared attribute by attribute. Members are read in place: one whose
    /// bytes are equal is equal; one whose bytes differ is compared by value
    /// (`JSONValue.sameValue`), so a value only written otherwise is no change.
    public static func between(_ old: [UInt8], _ new: [UInt8], ignoring: Set<String> = []) -> [FieldChange] {
        old.withUnsafeBytes { a in new.withUnsafeBytes { b in between(a, b, ignoring: ignoring, prefix: "") } }
    }

    static func between(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, ignoring: Set<String>,
                        prefix: String) -> [FieldChange] {
        var changes: [FieldChange] = []
        forEachChange(a, b, ignoring: Ignored(ignoring), prefix: prefix) { changes.append(FieldChange(field: $0, from: $1, to: $2)) }
        return changes
    }

    /// What `between` finds, handed to `each` in the same order as the field's name and its old
    /// and new values' bytes (nil where absent), in place: a text review shows the first 80 bytes
    /// of a long value, and made no string of its whole polygon.
    static func forEachChange(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, ignoring: Ignored, prefix: String,
                              _ each: (String, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> Void) {
        // Keys stay byte ranges (quotes included): equal bytes are the same key, and a key is
        // decoded only to be shown or when an escape could make other bytes the same key — a
        // wide review compares tens of thousands of annotations' members.
        withRawMembers(a) { x in withRawMembers(b) { y in forEachChange(a, x, b, y, ignoring: ignoring, prefix: prefix, each) } }
    }

    private static func forEachChange(_ a: UnsafeRawBufferPointer, _ x: Members, _ b: UnsafeRawBufferPointer, _ y: Members,
                                      ignoring: Ignored, prefix: String,
                                      _ each: (String, UnsafeRawBufferPointer?, UnsafeRawBufferPointer?) -> Void) {
        let backslash = UInt8(ascii: "\\")
        /// One member's change, if any: `from` or `to` nil where the member is absent.
        func compare(_ key: UnsafeRawBufferPointer, _ from: UnsafeRawBufferPointer?, _ to: UnsafeRawBufferPointer?) {
            if let from, let to, ByteSearch.equal(from, to) { return }
            if ignoring.contains(key: key) { return }
            let name = JSONString.decode(key)
            if let from, let to {
                if name == "attributes", from.first == UInt8(ascii: "{"), to.first == UInt8(ascii: "{") {
                    forEachChange(from, to, ignoring: .none, prefix: prefix + "attributes.", each)
                    return
                }
                // The same value written otherwise (an escape, `111.70` for `111.7`, members
                // in another order) is no change.
                if JSONValue.sameValue(from, to) { return }
            }
            each(prefix + name, from, to)
        }
        func key(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[range])
        }
        // Most pairs (an annotation and its edit) have the same keys in the same order, none
        // repeated or escaped: their members are compared pairwise, without looking keys up.
        if Self.sameKeys(x, in: a, y, in: b) {
            for (p, q) in zip(x, y) { compare(key(a, p.key), key(a, p.value), key(b, q.value)) }
            return
        }
        // Otherwise each key once, in the order first met (the old object's, then the new
        // one's), the first member of that key on each side.
        func sameKey(_ p: UnsafeRawBufferPointer, _ q: UnsafeRawBufferPointer) -> Bool {
            if ByteSearch.equal(p, q) { return true }
            guard p.contains(backslash) || q.contains(backslash) else { return false }
            return JSONString.decode(p) == JSONString.decode(q)
        }
        var visited: [UnsafeRawBufferPointer] = []
        for name in x.map({ key(a, $0.key) }) + y.map({ key(b, $0.key) }) {
            guard !visited.contains(where: { sameKey($0, name) }) else { continue }
            visited.append(name)
            let p = x.first { sameKey(key(a, $0.key), name) }?.value
            let q = y.first { sameKey(key(b, $0.key), name) }?.value
            compare(name, p.map { key(a, $0) }, q.map { key(b, $0) })
        }
    }

    /// Whether two objects' members have the same keys, byte for byte, in the same order, with
    /// no key repeated or escaped (so that no other bytes could be the same key).
    static func sameKeys<C: RandomAccessCollection<(key: Range<Int>, value: Range<Int>)>>(
        _ x: C, in a: UnsafeRawBufferPointer, _ y: C, in b: UnsafeRawBufferPointer) -> Bool where C.Index == Int {
        guard x.count == y.count, x.count <= 64 else { return false }
        for index in x.indices {
            let key = UnsafeRawBufferPointer(rebasing: a[x[index].key])
            guard ByteSearch.equal(key, UnsafeRawBufferPointer(rebasing: b[y[index].key])),
                  !key.contains(UInt8(ascii: "\\")) else { return false }
            for earlier in 0..<index where ByteSearch.equal(key, UnsafeRawBufferPointer(rebasing: a[x[earlier].key])) { return false }
        }
        return true
    }

    /// Names of fields a comparison passes over, made once for thousands of comparisons: a key
    /// is looked for by its bytes in place (no string made of it, no set hashed), decoded only
    /// when it holds an escape.
    public struct Ignored: Sendable {
        let names: Set<String>
        /// Each name's UTF-8 bytes.
        private let bytes: [[UInt8]]

        public init(_ names: Set<String>) {
            self.names = names
            bytes = names.map { Array($0.utf8) }
        }

        static let none = Ignored([])

        /// Whether the key (its bytes as written, quotes included) names an ignored field.
        func contains(key: UnsafeRawBufferPointer) -> Bool {
            guard !bytes.isEmpty else { return false }
            guard !key.contains(UInt8(ascii: "\\")) else { return names.contains(JSONString.decode(key)) }
            let name = UnsafeRawBufferPointer(rebasing: key.dropFirst().dropLast())
            return bytes.contains { $0.withUnsafeBytes { ByteSearch.equal($0, name) } }
        }
    }

    typealias Members = UnsafeBufferPointer<(key: Range<Int>, value: Range<Int>)>

    /// `body` given `rawMembers(bytes)` in memory on the stack when they are a few dozen (an
    /// annotation's): a review reads four objects' members for each modified annotation, and
    /// an array of them was an allocation each.
    static func withRawMembers<R>(_ bytes: UnsafeRawBufferPointer, _ body: (Members) -> R) -> R {
        withUnsafeTemporaryAllocation(of: (key: Range<Int>, value: Range<Int>).self, capacity: 32) { room in
            var scanner = JSONScanner(bytes)
            var count = 0, overflow = false
            if scanner.peek() == UInt8(ascii: "{") {
                do {
                    try COCOReader.forEachMember(&scanner) { (key, value) throws(JSONSyntaxError) in
                        if count < room.count { room.initializeElement(at: count, to: (key, value)) } else { overflow = true }
                        count += 1
                    }
                } catch {
                    count = 0
                }
            }
            if overflow { return rawMembers(bytes).withUnsafeBufferPointer(body) }
            return body(UnsafeBufferPointer(rebasing: room[0..<count]))
        }
    }

    /// An object's members as byte ranges, each key with its quotes; none for a text that is
    /// not an object.
    static func rawMembers(_ bytes: UnsafeRawBufferPointer) -> [(key: Range<Int>, value: Range<Int>)] {
        var scanner = JSONScanner(bytes)
        guard scanner.peek() == UInt8(ascii: "{") else { return [] }
        var members: [(key: Range<Int>, value: Range<Int>)] = []
        members.reserveCapacity(12)  // an annotation's members, without growing
        do {
            try COCOReader.forEachMember(&scanner) { (key, value) throws(JSONSyntaxError) in members.append((key, value)) }
        } catch {
            return []
        }
        return members
    }
}
