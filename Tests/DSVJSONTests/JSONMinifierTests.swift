import DSVJSON
import DSVNative
import DSVTestSupport
import Testing

/// The minifier reports its progress without changing what it writes: a reader lets the
/// source's pages go as they are read. Each test runs the byte-mask loop alone and, with each
/// kind of vector packing the CPU has (AVX-512 VBMI2, AVX2), with runs of blocks packed in vector
/// registers (`VectorMinifier`).
@Suite struct JSONMinifierTests {
    static let paths: [VectorMinifier.Kind?] = [nil] + VectorMinifier.supported

    @Test(arguments: paths) func progressIsReportedInStretchesAndTheOutputIsTheSame(vectors: VectorMinifier.Kind?) {
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
                    JSONMinifier.minify(source, into: $0, every: every, vectors: vectors) { reports.append($0) }
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
    @Test(arguments: paths) func blocksAgreeWithAPlainReadingOfTheText(vectors: VectorMinifier.Kind?) {
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
                out.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, vectors: vectors) }
            }
            var state = JSONMinifier.State()
            let again = bytes.withUnsafeBytes { source in
                out.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, state: &state, vectors: vectors) }
            }
            #expect(again == written && !state.invalid && !state.inString, "round \(round)")
        }
    }

    /// Whitespace between two bytes of numbers or literals cannot be dropped without joining
    /// two tokens into one (`[1 2]` would read as `[12]`): the minifier says so, wherever the
    /// run falls — in a block of the vector loop, of the mask loop or of the byte loop (a
    /// backslash nearby), or across blocks — and never for valid text, however it is spaced.
    @Test(arguments: paths) func whitespaceBetweenTwoTokensThatWouldJoinIsReported(vectors: VectorMinifier.Kind?) {
        let joined = ["[1 2]", "[1\n\n    2]", "[tr ue]", "[- 1]", "[1 .5]", "[1 e5]", "[null null]", "[1" + String(repeating: " ", count: 150) + "2]",
                      "{\"a\": 1\t0}"]
        let apart = ["[1, 2]", "[1 ,2]", "[ 1 ]", "{\"a\" : 1 , \"b\" : true }", "[\"1 2\", \"c d\"]", "[1]", "[1 ]  ",
                     "[1 \"a\"]", "[\"a\" 1]", "[1" + String(repeating: "\n", count: 150) + "]"]
        for (texts, expected) in [(joined, true), (apart, false)] {
            for text in texts {
                for shift in 0..<130 {
                    // Shifted across blocks, half the time beside an escape (the byte loop's blocks).
                    let padding = shift % 2 == 0 ? String(repeating: "0,", count: shift / 2) : #""\\","# + String(repeating: "0,", count: shift / 2)
                    let bytes = Array(("[" + padding + text + "]").utf8)
                    var out = [UInt8](repeating: 0, count: bytes.count)
                    var state = JSONMinifier.State()
                    _ = bytes.withUnsafeBytes { source in
                        out.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, state: &state, vectors: vectors) }
                    }
                    #expect(state.invalid == expected, "\(text) at \(shift)")
                }
            }
        }
        // Text that ends inside an escape.
        let bytes = Array(#"["a\"#.utf8)
        var out = [UInt8](repeating: 0, count: bytes.count)
        var state = JSONMinifier.State()
        _ = bytes.withUnsafeBytes { source in out.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, state: &state) } }
        #expect(state.invalid)
    }

    /// Cut at marks between tokens (the places of an object's ids), the pieces give the whole
    /// text's minified form, and each mark lands on the same token there.
    @Test func marksBetweenTokensLandOnTheirTokens() {
        let text = Array(#"{ "id" :  12 ,"image_id":\#t7,  "note": "a, b : \" c", "category_id" : 3 , "bbox": [ 1 , 2 ]}"#.utf8)
        let tokens = ["12", "7", "3"].map { Array($0.utf8) }
        var places: [Int] = []
        for token in tokens {
            let start = (places.last ?? 0) + 1
            let at = (start..<text.count).first { Array(text[$0..<min(text.count, $0 + token.count)]) == token && text[$0 - 1] != UInt8(ascii: "_") }!
            places += [at, at + token.count]
        }
        var whole: [UInt8] = []
        text.withUnsafeBytes { JSONMinifier.minify($0, into: &whole) }
        for range in [0..<text.count, 1..<text.count - 1] {
            var marks = places
            var out = [UInt8](repeating: 0, count: text.count)
            let written = text.withUnsafeBytes { source in
                marks.withUnsafeMutableBufferPointer { m in out.withUnsafeMutableBytes { JSONMinifier.minify(source, range, marks: m, into: $0) } }
            }
            let expected = range.lowerBound == 0 ? whole : Array(whole.dropFirst().dropLast())
            #expect(Array(out.prefix(written)) == expected)
            for (index, token) in tokens.enumerated() {
                #expect(Array(out[marks[2 * index]..<marks[2 * index + 1]]) == token)
            }
        }
    }

    /// Cut at guesses on all cores: a guess inside a string (its text looks like one element
    /// ending and the next beginning) is found out and that part minified again, so the result
    /// is always one pass's from the start.
    @Test func guessedCutsInsideStringsGiveOnePassResult() {
        var generator = SplitMix(seed: 5)
        var text = "["
        for n in 0..<3000 {
            let name = [#"a}, {\"b\": 1 2 }, {\"c"#, "a}, {b: 1 2 }, {c", "plain \(n)"][Int(generator.next() % 3)]
            text += (n > 0 ? ", " : "") + #"{"id": \#(n), "name": "\#(name)", "v": [1, 2.5]}"#
        }
        text += "]"
        let bytes = Array(text.utf8)
        var whole = [UInt8](repeating: 0, count: bytes.count)
        var serial = JSONMinifier.State()
        let wholeCount = bytes.withUnsafeBytes { source in whole.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, state: &serial) } }
        // Every `{` after `}, ` is a cut, those inside the names too.
        let cuts = bytes.indices.filter { $0 >= 3 && bytes[$0] == UInt8(ascii: "{") && bytes[$0 - 1] == 0x20
            && bytes[$0 - 2] == UInt8(ascii: ",") && bytes[$0 - 3] == UInt8(ascii: "}") }
        #expect(cuts.count > 3000)
        for step in [1, 7, 500] {
            let chosen = stride(from: 0, to: cuts.count, by: step).map { cuts[$0] }
            var out = [UInt8](repeating: 0, count: bytes.count)
            let (written, state) = bytes.withUnsafeBytes { source in
                out.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, cuts: chosen, every: 4096) { _ in } }
            }
            #expect(Array(out.prefix(written)) == Array(whole.prefix(wholeCount)), "every \(step)th cut")
            #expect(state == serial && !state.invalid, "every \(step)th cut")
        }
    }

    /// Any bytes at all — control characters, bytes from 0x80, the neighbours of `{}[],:` and of
    /// whitespace in their low four bits (the AVX2 kernel classifies bytes by them) — come out
    /// of each vector kernel as from the byte loop, with the same state, in place or not.
    @Test(arguments: VectorMinifier.supported) func vectorKernelsReadAnyBytesAsTheByteLoopDoes(vectors: VectorMinifier.Kind) {
        var generator = SplitMix(seed: 23)
        let alphabet: [UInt8] = Array(0...255) + Array(" \t\n\r{}[],:\"\\\"\"  1e".utf8) + [0x0C, 0x1A, 0x1B, 0x3A, 0x2C, 0x7B, 0x5B, 0x20, 0x09]
        for round in 0..<3000 {
            let count = Int(generator.next() % 400)
            // Few backslashes, so that most blocks reach the vector kernel.
            let bytes = (0..<count).map { _ in
                let byte = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                return byte == UInt8(ascii: "\\") && generator.next() % 8 != 0 ? UInt8(ascii: "x") : byte
            }
            var plainState = JSONMinifier.State(), vectorState = JSONMinifier.State()
            var plain = [UInt8](repeating: 0, count: count), vector = [UInt8](repeating: 0, count: count)
            let plainCount = bytes.withUnsafeBytes { source in
                plain.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, state: &plainState, vectors: nil) }
            }
            let vectorCount = bytes.withUnsafeBytes { source in
                vector.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, state: &vectorState, vectors: vectors) }
            }
            #expect(Array(vector.prefix(vectorCount)) == Array(plain.prefix(plainCount)), "round \(round)")
            #expect(vectorState == plainState, "round \(round)")
            var inPlace = bytes, inPlaceState = JSONMinifier.State()
            let inPlaceCount = inPlace.withUnsafeMutableBytes { JSONMinifier.minify(UnsafeRawBufferPointer($0), into: $0, state: &inPlaceState, vectors: vectors) }
            #expect(Array(inPlace.prefix(inPlaceCount)) == Array(plain.prefix(plainCount)), "round \(round), in place")
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
