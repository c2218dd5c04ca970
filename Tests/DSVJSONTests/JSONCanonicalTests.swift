import DSVJSON
import DSVTestSupport
import Testing

/// Values written otherwise by another tool are the same value; anything else is not.
@Suite struct JSONCanonicalTests {
    /// The canonical text written in place, checked against the reference's of the parsed value.
    func canonical(_ text: String) throws -> String {
        let reference = Self.reference(try JSONValue.parse(text))
        var inPlace: [UInt8] = []
        #expect(Array(text.utf8).withUnsafeBytes { JSONValue.writeCanonical($0, into: &inPlace) })
        #expect(String(decoding: inPlace, as: UTF8.self) == reference, "\(text)")
        #expect(try JSONValue.parse(text).canonical == inPlace)
        return reference
    }

    /// The canonical text as the rules read, made from a parsed value: members by key, the
    /// last of a key; numbers as exact digits and exponent (from Foundation-free decimal
    /// arithmetic on the text); strings as `JSONString.encode` writes them.
    static func reference(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return JSONString.encode(s)
        case .array(let items): return "[" + items.map(reference).joined(separator: ",") + "]"
        case .object(let members):
            var last: [String: JSONValue] = [:]
            for (key, value) in members { last[key] = value }
            return "{" + last.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                .map { JSONString.encode($0) + ":" + reference(last[$0]!) }.joined(separator: ",") + "}"
        case .number(let text):
            let negative = text.hasPrefix("-")
            let body = negative ? String(text.dropFirst()) : text
            let parts = body.split(whereSeparator: { $0 == "e" || $0 == "E" }).map(String.init)
            let mantissa = parts[0], exponent = parts.count > 1 ? Int(parts[1].replacingOccurrences(of: "+", with: ""))! : 0
            let pieces = mantissa.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            var digits = pieces[0] + (pieces.count > 1 ? pieces[1] : "")
            var power = exponent - (pieces.count > 1 ? pieces[1].count : 0)
            while digits.hasPrefix("0") { digits.removeFirst() }
            while digits.hasSuffix("0") { digits.removeLast(); power += 1 }
            return digits.isEmpty ? "0" : (negative ? "-" : "") + digits + "e" + String(power)
        }
    }

    func same(_ a: String, _ b: String) -> Bool {
        Array(a.utf8).withUnsafeBytes { x in Array(b.utf8).withUnsafeBytes { y in JSONValue.sameValue(x, y) } }
    }

    @Test(arguments: [("111.70", "111.7"), ("150", "1.5e2"), ("150", "150.0"), ("1.5E+2", "15e1"), ("-0", "0"), ("0.0", "0e7"),
                      ("0.05", "5e-2"), ("100", "1e2"), ("-2.50", "-25e-1"), ("123456789012345678901234567890", "1.2345678901234567890123456789e29"),
                      ("[1.0,2]", "[1,2.00]"), (#"{"a":1,"b":[2,3]}"#, #"{"b":[2.0,3],"a":1}"#), (#""\u0041b""#, #""Ab""#),
                      (#"{"a":1,"a":2}"#, #"{"a":2}"#), (#"{"x":{"p":1,"q":2}}"#, #"{"x":{"q":2,"p":1.0}}"#)])
    func equalValuesAreOne(_ pair: (String, String)) throws {
        #expect(try canonical(pair.0) == canonical(pair.1), "\(pair)")
        #expect(same(pair.0, pair.1), "\(pair)")
        #expect(same(pair.1, pair.0), "\(pair)")
    }

    @Test(arguments: [("111.7", "111.71"), ("0.1", "0.10000000000000000001"), ("1e2", "1e3"), ("-1", "1"), ("[1,2]", "[2,1]"),
                      ("[1,2]", "[1,2,3]"), (#"{"a":1}"#, #"{"a":1,"b":2}"#), (#"{"a":1}"#, #"{"b":1}"#), (#""a""#, #""b""#),
                      ("true", "false"), ("null", "0"), ("1", #""1""#), (#"{"a":[1,2]}"#, #"{"a":[1,3]}"#), ("[1]", "{}")])
    func differentValuesDiffer(_ pair: (String, String)) throws {
        #expect(try canonical(pair.0) != canonical(pair.1), "\(pair)")
        #expect(!same(pair.0, pair.1), "\(pair)")
        #expect(!same(pair.1, pair.0), "\(pair)")
    }

    /// A number keeps its exact decimal value: no rounding to a double.
    @Test func numbersAreExact() throws {
        #expect(try canonical("111.70") == "1117e-1")
        #expect(try canonical("-0.0") == "0")
        #expect(try canonical("2.5E+3") == "25e2")
        #expect(try canonical("[1E300,12e-3]") == "[1e300,12e-3]")
    }

    /// Texts that are not JSON are never the same as anything but themselves, and are not
    /// written canonically.
    @Test func brokenTextsDiffer() {
        var out: [UInt8] = [1]
        for text in ["[1,2", #"{"a":1"#, "[1,]", "", "1 2", #"{"a" 1}"#] {
            #expect(!Array(text.utf8).withUnsafeBytes { JSONValue.writeCanonical($0, into: &out) }, "\(text)")
            #expect(out == [1], "what was written is taken back")
        }
        #expect(!same("[1,2", "[1,2]"))
        #expect(!same(#"{"a":1"#, #"{"a":1}"#))
        #expect(same("[1, 2]", "[1,2]"))
    }
}

extension JSONCanonicalTests {
    /// Random values written two ways — members shuffled, numbers in other forms, strings
    /// escaped or not — are the same value; one number or member changed, they are not. Read
    /// side by side or parsed, the answer is the same.
    @Test func randomRewritesAgree() throws {
        var generator = SplitMix(seed: 41)
        enum Shape { case number(Int, Int), string(String), array([Shape]), object([(String, Shape)]), literal(String) }
        func shape(_ depth: Int) -> Shape {
            switch Int.random(in: 0..<(depth > 2 ? 3 : 5), using: &generator) {
            case 0: return .number(Int.random(in: -999...999, using: &generator), Int.random(in: -3...3, using: &generator))
            case 1: return .string(["a", "é", "x\"y", "", "ab"].randomElement(using: &generator)!)
            case 2: return .literal(["true", "false", "null"].randomElement(using: &generator)!)
            case 3: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in shape(depth + 1) })
            default:
                let keys = ["a", "b", "c", "id", "é"].shuffled(using: &generator).prefix(Int.random(in: 0...4, using: &generator))
                return .object(keys.map { ($0, shape(depth + 1)) })
            }
        }
        /// A number `mantissa × 10^exponent` in one of its forms.
        func number(_ mantissa: Int, _ exponent: Int) -> String {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return "\(mantissa)e\(exponent)"
            case 1: return "\(mantissa)0E\(exponent - 1)"
            case 2:
                let sign = mantissa < 0 ? "-" : "", digits = String(mantissa.magnitude)
                return "\(sign)0.\(digits)e\(exponent + digits.count)"
            default:
                return exponent >= 0 ? "\(mantissa)" + String(repeating: "0", count: exponent) + (Bool.random(using: &generator) ? ".0" : "")
                    : "\(mantissa)e\(exponent)"
            }
        }
        func text(_ value: Shape) -> String {
            switch value {
            case .number(let mantissa, let exponent): return number(mantissa, exponent)
            case .string(let s):
                let plain = "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
                return Bool.random(using: &generator) ? plain : plain.replacingOccurrences(of: "a", with: "\\u0061")
            case .literal(let l): return l
            case .array(let items): return "[" + items.map(text).joined(separator: ",") + "]"
            case .object(let members):
                return "{" + members.shuffled(using: &generator).map { "\"\($0.0)\":" + text($0.1) }.joined(separator: ",") + "}"
            }
        }
        func changed(_ value: Shape) -> Shape {
            switch value {
            case .number(let mantissa, let exponent): return .number(mantissa + 1, exponent)
            case .string(let s): return .string(s + "z")
            case .literal(let l): return .literal(l == "null" ? "true" : "null")
            case .array(let items):
                guard !items.isEmpty else { return .array([.literal("null")]) }
                var copy = items
                let index = Int.random(in: 0..<items.count, using: &generator)
                copy[index] = changed(items[index])
                return .array(copy)
            case .object(let members):
                guard !members.isEmpty else { return .object([("k", .literal("null"))]) }
                var copy = members
                let index = Int.random(in: 0..<members.count, using: &generator)
                copy[index].1 = changed(members[index].1)
                return .object(copy)
            }
        }
        for _ in 0..<500 {
            let value = shape(0)
            let (a, b, c) = (text(value), text(value), text(changed(value)))
            #expect(try canonical(a) == canonical(b), "\(a) | \(b)")
            #expect(same(a, b), "\(a) | \(b)")
            #expect(try canonical(a) != canonical(c), "\(a) | \(c)")
            #expect(!same(a, c), "\(a) | \(c)")
        }
    }
}
