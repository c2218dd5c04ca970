/// A JSON value's canonical text: equal for values a reader takes as equal, however they were
/// written. What a tool that rewrites an export changes without changing a label — the order
/// of an object's members (`json.dump` of a reordered dict, pycocotools' `id` last), a
/// number's form (`111.70` and `111.7`, `150` and `1.5e2`, `-0` and `0`), a string's escapes —
/// is made the same; anything else is kept apart. Not JSON itself: it is only compared.
///
/// - Objects: members sorted by key (UTF-8 byte order); of a key written twice, the last
///   (as the parser keeps it when asked for a member).
/// - Numbers: their exact decimal value, `<digits>e<exponent>` with neither leading nor
///   trailing zeros in the digits (zero is `0`), so no two texts of one value differ and no
///   value is rounded.
/// - Strings: as `JSONString.encode` writes them.
extension JSONValue {
    public var canonical: [UInt8] {
        var out: [UInt8] = []
        writeCanonical(into: &out)
        return out
    }

    func writeCanonical(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): Self.writeCanonicalNumber(text, into: &out)
        case .string(let text): JSONString.encode(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            // The last member of each key, in key order.
            var last: [String: Int] = [:]
            for (index, member) in members.enumerated() { last[member.0] = index }
            let kept = last.values.sorted { members[$0].0.utf8.lexicographicallyPrecedes(members[$1].0.utf8) }
            out.append(UInt8(ascii: "{"))
            for (position, index) in kept.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                JSONString.encode(members[index].0, into: &out)
                out.append(UInt8(ascii: ":"))
                members[index].1.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A number's exact value as significant digits and a decimal exponent. A text that is not
    /// a JSON number (the parser keeps what it met) stays as written.
    static func writeCanonicalNumber(_ text: String, into out: inout [UInt8]) {
        var text = text
        let written = text.withUTF8 { bytes -> Bool in
            var index = 0
            let negative = bytes.first == UInt8(ascii: "-")
            if negative { index += 1 }
            var digits: [UInt8] = []
            var exponent = 0  // of the last digit in `digits`
            var sawDigit = false, inFraction = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    sawDigit = true
                    // Zeros before the first other digit are dropped (in a fraction they still
                    // count in the exponent).
                    if !digits.isEmpty || byte != UInt8(ascii: "0") { digits.append(byte) }
                    if inFraction { exponent -= 1 }
                } else if byte == UInt8(ascii: "."), !inFraction {
                    inFraction = true
                } else {
                    break
                }
                index += 1
            }
            guard sawDigit else { return false }
            if index < bytes.count {
                guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") else { return false }
                index += 1
                var exponentSign = 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                    if bytes[index] == UInt8(ascii: "-") { exponentSign = -1 }
                    index += 1
                }
                var written = 0, any = false
                while index < bytes.count, bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") {
                    guard written < 100_000_000 else { return false }  // beyond any double: kept as written
                    written = written * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                    any = true
                    index += 1
                }
                guard any, index == bytes.count else { return false }
                exponent += exponentSign * written
            }
            // Trailing zeros move into the exponent.
            while digits.last == UInt8(ascii: "0") {
                digits.removeLast()
                exponent += 1
            }
            if digits.isEmpty {
                out.append(UInt8(ascii: "0"))
                return true
            }
            if negative { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: digits)
            out.append(UInt8(ascii: "e"))
            out.append(contentsOf: String(exponent).utf8)
            return true
        }
        if !written { out.append(contentsOf: text.utf8) }
    }
}

extension JSONValue {
    /// Whether two JSON texts hold equal values (`canonical`), read side by side: texts alike
    /// but for their numbers' forms or strings' escapes are told without parsing, and a pair
    /// that differs is usually told at its first difference (a moved polygon at its first
    /// number). Texts whose tokens part ways — or that are not JSON — are parsed and compared
    /// whole when both hold an object (whose members may be in another order); else they differ.
    public static func sameValue(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        switch TokenWalk.compare(a, b) {
        case .equal: return true
        case .different: return false
        case .parted:
            guard a.contains(UInt8(ascii: "{")) && b.contains(UInt8(ascii: "{")),
                  let x = try? JSONValue.parse(a), let y = try? JSONValue.parse(b) else { return false }
            return x.canonical == y.canonical
        }
    }

    /// Two texts' tokens side by side.
    enum TokenWalk {
        case equal
        /// They differ where no object holds the difference: nothing else could make them equal.
        case different
        /// They differ inside an object, whose members may be in another order (or a text is not
        /// JSON): only a whole comparison tells.
        case parted

        static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> TokenWalk {
            var i = 0, j = 0
            var objects = 0  // how many objects the walk is in: a difference there parts the ways
            var brackets: [UInt8] = []
            func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
            func isNumberStart(_ c: UInt8) -> Bool { c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) }
            func numberEnd(_ text: UnsafeRawBufferPointer, _ start: Int) -> Int {
                var k = start
                while k < text.count, isNumberStart(text[k]) || text[k] == UInt8(ascii: "+") || text[k] == UInt8(ascii: ".")
                        || text[k] == UInt8(ascii: "e") || text[k] == UInt8(ascii: "E") { k += 1 }
                return k
            }
            func stringEnd(_ text: UnsafeRawBufferPointer, _ start: Int) -> Int? {
                var k = start + 1
                while k < text.count {
                    if text[k] == UInt8(ascii: "\\") { k += 2; continue }
                    if text[k] == UInt8(ascii: "\"") { return k + 1 }
                    k += 1
                }
                return nil
            }
            while true {
                let differ: TokenWalk = objects > 0 ? .parted : .different
                while i < a.count && isSpace(a[i]) { i += 1 }
                while j < b.count && isSpace(b[j]) { j += 1 }
                if i == a.count || j == b.count { return i == a.count && j == b.count ? .equal : differ }
                let (x, y) = (a[i], b[j])
                if x == UInt8(ascii: "\"") && y == UInt8(ascii: "\"") {
                    guard let p = stringEnd(a, i), let q = stringEnd(b, j) else { return .parted }
                    let (s, t) = (UnsafeRawBufferPointer(rebasing: a[i..<p]), UnsafeRawBufferPointer(rebasing: b[j..<q]))
                    if !s.elementsEqual(t) && JSONString.decode(s) != JSONString.decode(t) { return differ }
                    (i, j) = (p, q)
                } else if isNumberStart(x) && isNumberStart(y) {
                    let (p, q) = (numberEnd(a, i), numberEnd(b, j))
                    let (s, t) = (UnsafeRawBufferPointer(rebasing: a[i..<p]), UnsafeRawBufferPointer(rebasing: b[j..<q]))
                    if !s.elementsEqual(t) {
                        var (u, v): ([UInt8], [UInt8]) = ([], [])
                        JSONValue.writeCanonicalNumber(String(decoding: s, as: UTF8.self), into: &u)
                        JSONValue.writeCanonicalNumber(String(decoding: t, as: UTF8.self), into: &v)
                        if u != v { return differ }
                    }
                    (i, j) = (p, q)
                } else if x == y {
                    if x == UInt8(ascii: "{") || x == UInt8(ascii: "[") {
                        brackets.append(x)
                        if x == UInt8(ascii: "{") { objects += 1 }
                    } else if x == UInt8(ascii: "}") || x == UInt8(ascii: "]") {
                        if brackets.popLast() == UInt8(ascii: "{") { objects -= 1 }
                    }
                    i += 1
                    j += 1
                } else {
                    return differ
                }
            }
        }
    }
}
