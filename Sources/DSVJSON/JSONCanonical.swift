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
    /// This value's canonical text (see above).
    public var canonical: [UInt8] {
        var out: [UInt8] = []
        _ = Array(compact.utf8).withUnsafeBytes { Self.writeCanonical($0, into: &out) }
        return out
    }

    /// A number's exact value as significant digits and a decimal exponent; a text that is not
    /// a JSON number stays as written.
    static func writeCanonicalNumber(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")
        let start = out.count  // nothing allocated: the digits go straight into `out`
        var index = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative {
            index += 1
            out.append(UInt8(ascii: "-"))
        }
        let digitsStart = out.count
        var exponent = 0  // of the last digit kept
        var sawDigit = false, inFraction = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= zero && byte <= nine {
                sawDigit = true
                // Zeros before the first other digit are dropped (in a fraction they still
                // count in the exponent).
                if out.count > digitsStart || byte != zero { out.append(byte) }
                if inFraction { exponent -= 1 }
            } else if byte == UInt8(ascii: "."), !inFraction {
                inFraction = true
            } else {
                break
            }
            index += 1
        }
        var valid = sawDigit
        if valid && index < bytes.count {
            valid = bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")
            index += 1
            var exponentSign = 1
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                if bytes[index] == UInt8(ascii: "-") { exponentSign = -1 }
                index += 1
            }
            var written = 0, any = false
            while valid, index < bytes.count, bytes[index] >= zero && bytes[index] <= nine {
                if written >= 100_000_000 { valid = false }  // beyond any double: kept as written
                written = written * 10 + Int(bytes[index] - zero)
                any = true
                index += 1
            }
            valid = valid && any && index == bytes.count
            exponent += exponentSign * written
        }
        guard valid else {
            out.removeSubrange(start...)
            return out.append(contentsOf: bytes)
        }
        // Trailing zeros move into the exponent.
        while out.count > digitsStart && out[out.count - 1] == zero {
            out.removeLast()
            exponent += 1
        }
        if out.count == digitsStart {
            out.removeSubrange(start...)
            return out.append(zero)
        }
        out.append(UInt8(ascii: "e"))
        if exponent < 0 { out.append(UInt8(ascii: "-")) }
        let exponentStart = out.count
        var magnitude = exponent.magnitude
        repeat {
            out.append(zero + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[exponentStart...].reverse()
    }

    /// The canonical text of the JSON text `bytes` (one value), read in place, no value built:
    /// the same as `JSONValue.parse(bytes).canonical`, at a fraction of its cost (a rewritten
    /// export's diff reads every annotation this way). False, with `out` as it was, when the
    /// text is not JSON.
    public static func writeCanonical(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        let start = out.count
        var scanner = JSONScanner(bytes)
        do {
            try writeCanonicalValue(&scanner, into: &out)
            scanner.skipWhitespace()
            guard scanner.atEnd else { throw scanner.error("unexpected data after the JSON value") }
            return true
        } catch {
            out.removeSubrange(start...)
            return false
        }
    }

    static func writeCanonicalValue(_ scanner: inout JSONScanner, into out: inout [UInt8]) throws(JSONSyntaxError) {
        scanner.skipWhitespace()
        let bytes = scanner.bytes
        switch scanner.peek() {
        case UInt8(ascii: "{"):
            scanner.position += 1
            // Each value is written where it is met, in one pass over the text; the members are
            // then put in key order, the last of each key kept.
            let valuesStart = out.count
            var members: [(name: [UInt8], value: Range<Int>)] = []
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "}") {
                scanner.position += 1
            } else {
                while true {
                    scanner.skipWhitespace()
                    guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected(expected: "a string key") }
                    let keyStart = scanner.position
                    try scanner.skipString()
                    // Keys decoded only when escaped.
                    let key = UnsafeRawBufferPointer(rebasing: bytes[keyStart..<scanner.position])
                    let name = key.contains(UInt8(ascii: "\\")) ? Array(JSONString.decode(key).utf8) : Array(key.dropFirst().dropLast())
                    try scanner.expect(UInt8(ascii: ":"), "':'")
                    let valueStart = out.count
                    try writeCanonicalValue(&scanner, into: &out)
                    members.append((name, valueStart - valuesStart..<out.count - valuesStart))
                    scanner.skipWhitespace()
                    let c = scanner.peek()
                    scanner.position += 1
                    if c == UInt8(ascii: ",") { continue }
                    if c == UInt8(ascii: "}") { break }
                    scanner.position -= 1
                    throw scanner.unexpected(expected: "',' or '}'")
                }
            }
            let values = Array(out[valuesStart...])
            out.removeSubrange(valuesStart...)
            var order = Array(members.indices)
            order.sort { members[$0].name != members[$1].name ? members[$0].name.lexicographicallyPrecedes(members[$1].name) : $0 > $1 }
            out.append(UInt8(ascii: "{"))
            var previous: Int?
            for index in order {
                if let previous, members[previous].name == members[index].name { continue }  // an earlier member of the key
                if previous != nil { out.append(UInt8(ascii: ",")) }
                previous = index
                JSONString.encode(String(decoding: members[index].name, as: UTF8.self), into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(contentsOf: values[members[index].value])
            }
            out.append(UInt8(ascii: "}"))
        case UInt8(ascii: "["):
            scanner.position += 1
            out.append(UInt8(ascii: "["))
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "]") {
                scanner.position += 1
            } else {
                var first = true
                while true {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    try writeCanonicalValue(&scanner, into: &out)
                    scanner.skipWhitespace()
                    let c = scanner.peek()
                    scanner.position += 1
                    if c == UInt8(ascii: ",") { continue }
                    if c == UInt8(ascii: "]") { break }
                    scanner.position -= 1
                    throw scanner.unexpected(expected: "',' or ']'")
                }
            }
            out.append(UInt8(ascii: "]"))
        case UInt8(ascii: "\""):
            let start = scanner.position
            try scanner.skipString()
            let text = UnsafeRawBufferPointer(rebasing: bytes[start..<scanner.position])
            // Without an escape, a string's text is already as `encode` writes it.
            if text.contains(UInt8(ascii: "\\")) { JSONString.encode(JSONString.decode(text), into: &out) } else { out.append(contentsOf: text) }
        default:
            let range = try scanner.scanValue()
            let text = UnsafeRawBufferPointer(rebasing: bytes[range])
            if let first = text.first, first == UInt8(ascii: "-") || (first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9")) {
                writeCanonicalNumber(text, into: &out)
            } else {
                out.append(contentsOf: text)
            }
        }
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
            guard a.contains(UInt8(ascii: "{")) && b.contains(UInt8(ascii: "{")) else { return false }
            var (x, y): ([UInt8], [UInt8]) = ([], [])
            return writeCanonical(a, into: &x) && writeCanonical(b, into: &y) && x == y
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
            var (x, y) = (JSONScanner(a), JSONScanner(b))
            var objects = 0  // how many objects the walk is in: a difference there parts the ways
            var brackets: [UInt8] = []
            func isNumberStart(_ c: UInt8) -> Bool { c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) }
            while true {
                let differ: TokenWalk = objects > 0 ? .parted : .different
                x.skipWhitespace()
                y.skipWhitespace()
                if x.atEnd || y.atEnd { return x.atEnd && y.atEnd ? .equal : differ }
                let (p, q) = (x.peek(), y.peek())
                let (i, j) = (x.position, y.position)
                if p == UInt8(ascii: "\"") && q == UInt8(ascii: "\"") {
                    do {
                        try x.skipString()
                        try y.skipString()
                    } catch { return .parted }
                    let (s, t) = (UnsafeRawBufferPointer(rebasing: a[i..<x.position]), UnsafeRawBufferPointer(rebasing: b[j..<y.position]))
                    if !s.elementsEqual(t) && JSONString.decode(s) != JSONString.decode(t) { return differ }
                } else if isNumberStart(p) && isNumberStart(q) {
                    do {
                        try x.skipNumber()
                        try y.skipNumber()
                    } catch { return .parted }
                    let (s, t) = (UnsafeRawBufferPointer(rebasing: a[i..<x.position]), UnsafeRawBufferPointer(rebasing: b[j..<y.position]))
                    if !s.elementsEqual(t) {
                        var (u, v): ([UInt8], [UInt8]) = ([], [])
                        JSONValue.writeCanonicalNumber(s, into: &u)
                        JSONValue.writeCanonicalNumber(t, into: &v)
                        if u != v { return differ }
                    }
                } else if p == q {
                    if p == UInt8(ascii: "{") || p == UInt8(ascii: "[") {
                        brackets.append(p)
                        if p == UInt8(ascii: "{") { objects += 1 }
                    } else if p == UInt8(ascii: "}") || p == UInt8(ascii: "]") {
                        if brackets.popLast() == UInt8(ascii: "{") { objects -= 1 }
                    }
                    x.position += 1
                    y.position += 1
                } else {
                    return differ
                }
            }
        }
    }
}
