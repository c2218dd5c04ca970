import DSVJSON
import DSVTestSupport
import Foundation
import Testing

@Suite struct JSONScannerTests {
    func scan(_ text: String) -> Result<Range<Int>, JSONSyntaxError> {
        Array(text.utf8).withUnsafeBytes { bytes in
            Result { () throws(JSONSyntaxError) in
                var scanner = JSONScanner(bytes)
                let range = try scanner.scanValue()
                scanner.skipWhitespace()
                if !scanner.atEnd { throw scanner.error("trailing data") }
                return range
            }
        }
    }

    @Test(arguments: ["[1,2,3]", "[ 1 , -2.5e3 ,\n3 ]", "[1,\"a\",2]", "[1,[2,3],{\"a\":[4 ,5]}]", "[]", "[ ]",
                      "[-0,0.5,1E+2]", "{\"a\":[1,2] , \"b\" : null}", "\"\\u00e9\\ud83d\\ude00\"", "[true,false,null]",
                      // Runs of plain numbers (the fast path) mixed with what it hands over.
                      "[0,-0,10.25,-3.5,7]", "[1,2.5e3,4,5]", "[1,2 ,3]", "[1,2,\"x\",3,4]", "[1,2,[3,4],5]", "[0.0,-0.0]",
                      "[[1,2],[3,4.5]]", "[\(String(repeating: "9", count: 295))]"])
    func acceptsValidJSON(_ text: String) {
        if case .failure(let error) = scan(text) { Issue.record("\(text): \(error.reason)") }
    }

    @Test(arguments: ["[1,,2]", "[1 2]", "[1,]", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "[NaN]", "[1,2", "{\"a\" 1}",
                      "{\"a\":1,}", "\"\\x\"", "\"a\nb\"", "[Infinity]", "[-Infinity]", "[1e400]", "tru", "[1]]",
                      "[1,2,]", "[1,-]", "[1,00]", "[1,2.]", "[1,2.a]", "[1,-a]", "[1,2", "[1,2,", "[1,2x]", "[1,+2]", "[1,2}",
                      "[1,\(String(repeating: "9", count: 400))]", "[1,2,3e999]"])
    func refusesInvalidJSON(_ text: String) {
        if case .success = scan(text) { Issue.record("\(text) was accepted") }
    }

    /// Number arrays are validated 64 bytes at a time where they can be (`PlainNumberBlock`) and
    /// byte by byte elsewhere. Against the grammar, on random arrays with random damage: the
    /// scanner accepts exactly the valid ones, and for an invalid one it points into the first
    /// invalid element — the same answer whichever path saw it.
    @Test func numberArraysAgreeWithTheGrammar() throws {
        let grammar = try Regex("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$")
        var generator = SplitMix(seed: 0x5eed)
        let damage = Array("0123456789-.,eE+")
        for round in 0..<20_000 {
            var elements: [String] = (0..<Int(generator.next() % 40 + 1)).map { _ in
                switch generator.next() % 10 {
                case 0: return String(generator.next() % 1000)
                case 1: return "-" + String(generator.next() % 100) + "." + String(generator.next() % 100)
                case 2: return ["0", "-0", "0.0", "-0.5", "1e5", "2.5E-3"][Int(generator.next() % 6)]
                case 3 where generator.next() % 8 == 0: return "1" + String(repeating: "7", count: Int(generator.next() % 320))
                default: return String(generator.next() % 700) + "." + String(generator.next() % 100)
                }
            }
            var text = elements.joined(separator: ",")
            if round % 2 == 1 {  // damage: a byte inserted, replaced or removed
                var bytes = Array(text)
                let at = Int(generator.next() % UInt64(bytes.count + 1))
                let byte = damage[Int(generator.next() % UInt64(damage.count))]
                switch generator.next() % 3 {
                case 0: bytes.insert(byte, at: at)
                case 1 where at < bytes.count: bytes[at] = byte
                default: if at < bytes.count { bytes.remove(at: at) }
                }
                text = String(bytes)
                elements = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
            // The first element the grammar refuses, and where it lies (after "[").
            var offset = 1
            var firstBad: Range<Int>?
            for element in elements {
                // (A number is also refused when it overflows a double: 1e999, or 310 digits.)
                if element.wholeMatch(of: grammar) == nil || Double(element)?.isFinite != true {
                    firstBad = offset..<(offset + element.utf8.count + 1)
                    break
                }
                offset += element.utf8.count + 1
            }
            // Spaces after the array, so that blocks are read to its very end.
            let document = "[" + text + "]" + String(repeating: " ", count: 70)
            switch (scan(document), firstBad) {
            case (.success, nil): break
            case (.success, let bad?): Issue.record("accepted \(document) (element at \(bad) is invalid)")
            case (.failure(let error), nil): Issue.record("refused valid \(document): \(error.reason) at \(error.offset)")
            case (.failure(let error), let bad?):
                #expect(bad.contains(error.offset) || error.offset == bad.upperBound, "\(document): \(error.reason) at \(error.offset), first bad element at \(bad)")
            }
        }
    }

    /// An object member's value is read inline when it is a plain number before `,` or `}`
    /// (`scanMemberValue`); whatever the bytes, the answer — the value's range, or the error and
    /// where — is the general path's (`scanValue`).
    @Test func memberValuesReadInlineAgreeWithTheGeneralPath() {
        var generator = SplitMix(seed: 0xfeed)
        let alphabet = Array("0123456789-.eE+,}] \"xtn[{")
        let seeds = ["0", "-0", "7", "10", "01", "-01", "3612.478651262807", "1.", ".5", "-", "1e5", "2.5E-3", "0.0",
                     String(repeating: "9", count: 289), String(repeating: "9", count: 291), "true", "null", "\"x\"", "[1]", "{}"]
        for round in 0..<20_000 {
            var text = Array(seeds[Int(generator.next() % UInt64(seeds.count))])
            for _ in 0..<Int(generator.next() % 3) where round % 3 != 0 {
                let at = Int(generator.next() % UInt64(text.count + 1))
                text.insert(alphabet[Int(generator.next() % UInt64(alphabet.count))], at: at)
            }
            let terminator = [",", "}", "]", " ,", "", "x"][Int(generator.next() % 6)]
            let bytes = Array((String(text) + terminator).utf8)
            func outcome(_ read: (inout JSONScanner) throws(JSONSyntaxError) -> Range<Int>) -> String {
                bytes.withUnsafeBytes { raw in
                    var scanner = JSONScanner(raw)
                    do throws(JSONSyntaxError) { return "\(try read(&scanner))" } catch { return "error at \(error.offset): \(error.reason)" }
                }
            }
            let inline = outcome { (s) throws(JSONSyntaxError) in try s.scanMemberValue() }
            let general = outcome { (s) throws(JSONSyntaxError) in try s.scanValue() }
            #expect(inline == general, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }

    /// A file cut inside a number says so, as a file cut inside a string does.
    @Test(arguments: ["[1,2.", "[1,-", "{\"a\":1e", "[1,2.5E+"])
    func aNumberCutByTheEndOfTheFileSaysTruncated(_ text: String) {
        guard case .failure(let error) = scan(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.reason.contains("truncated?"), "\(error.reason)")
    }
}
