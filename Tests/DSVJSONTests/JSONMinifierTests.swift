import DSVJSON
import DSVNative
import DSVTestSupport
import Testing

/// The minifier reports its progress without changing what it writes: a reader lets the
/// source's pages go as they are read. Each test runs the byte-mask loop alone and, where the
/// CPU has AVX-512 VBMI2, with runs of blocks packed in vector registers (`VectorMinifier`).
@Suite struct JSONMinifierTests {
    static let paths = VectorMinifier.available ? [false, true] : [false]

    @Test(arguments: paths) func progressIsReportedInStretchesAndTheOutputIsTheSame(vectorized: Bool) {
        var generator = SplitMix(seed: 3)
        var text = "["
        for n in 0..<2000 {
            let spaces = String(repeating: " ", count: Int(generator.next() % 4))
            text += (n > 0 ? "," + spaces + "\n" : "") + #"{"id": \#(n),"name": "a \\"b\\" \#(n)", "v": [1, 2.5]}"#
        }
        text += "]"
        let bytes = Array(text.utf8)
        var whole: [UInt8] = []
        bytes.withUnsafeBytes { JSONMinifier.minify($0, into: &whole) }
        for every in [1, 7, 100, 4096, Int.max] {
            var reports: [Int] = []
            var out = [UInt8](repeating: 0, count: bytes.count)
            let written = bytes.withUnsafeBytes { source in
                out.withUnsafeMutableBytes {
                    JSONMinifier.minify(source, into: $0, every: every, vectorized: vectorized) { reports.append($0) }
                }
            }
            #expect(Array(out.prefix(written)) == whole, "every \(every)")
            #expect(reports.last == bytes.count && reports == reports.sorted(), "every \(every)")
            // A stretch may end one byte late, past an escape.
            if every < Int.max { #expect(reports.count >= bytes.count / (every + 1), "every \(every)") }
        }
    }

    /// Blocks of 64 bytes are minified from their quote and whitespace masks, those with a
    /// backslash byte by byte: strings that open in one block and close in another, escaped
    /// quotes and backslashes at every place in a block, spaces inside strings, and every kind
    /// of JSON whitespace between tokens come out as a plain reading of the text gives them.
    @Test(arguments: paths) func blocksAgreeWithAPlainReadingOfTheText(vectorized: Bool) {
        var generator = SplitMix(seed: 11)
        let blanks = [" ", "\t", "\n", "\r", "  ", "\n    "]
        let strings = ["", "a b", "  spaced  ", #"esc\"aped"#, #"back\\slash"#, #"\\"#, #"\\\""#, "é ü", "\\n\\t",
                       String(repeating: "long text ", count: Int(generator.next() % 20))]
        for round in 0..<200 {
            var text = "["
            for n in 0..<Int(generator.next() % 60) {
                func blank() -> String { generator.next() % 3 == 0 ? blanks[Int(generator.next() % UInt64(blanks.count))] : "" }
                let string = strings[Int(generator.next() % UInt64(strings.count))]
                text += (n > 0 ? blank() + "," + blank() : "") + "{" + blank() + #""k\#(n)""# + blank() + ":" + blank()
                    + #""\#(string)""# + blank() + "," + blank() + #""v""# + ":" + blank() + "[1," + blank() + "2.5]" + blank() + "}"
            }
            text += "]"
            let bytes = Array(text.utf8)
            var out = [UInt8](repeating: 0, count: bytes.count)
            let written = bytes.withUnsafeBytes { source in
                out.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, vectorized: vectorized) }
            }
            #expect(Array(out.prefix(written)) == Self.plainReading(bytes), "round \(round)")
        }
    }

    /// Whitespace outside strings dropped, reading the text one byte at a time.
    static func plainReading(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = [], inString = false, escaped = false
        for c in bytes {
            if inString {
                result.append(c)
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
                result.append(c)
            } else if ![0x20, 0x09, 0x0A, 0x0D].contains(c) {
                result.append(c)
            }
        }
        return result
    }
}
