import DSVJSON
import Testing

/// Values written otherwise by another tool are the same value; anything else is not.
@Suite struct JSONCanonicalTests {
    /// The canonical text of a parsed value, checked against the one written in place.
    func canonical(_ text: String) throws -> String {
        let parsed = String(decoding: try JSONValue.parse(text).canonical, as: UTF8.self)
        var inPlace: [UInt8] = []
        #expect(Array(text.utf8).withUnsafeBytes { JSONValue.writeCanonical($0, into: &inPlace) })
        #expect(String(decoding: inPlace, as: UTF8.self) == parsed, "\(text)")
        return parsed
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
