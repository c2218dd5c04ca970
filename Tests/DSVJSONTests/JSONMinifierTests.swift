import DSVJSON
import DSVTestSupport
import Testing

/// The minifier reports its progress without changing what it writes: a reader lets the
/// source's pages go as they are read.
@Suite struct JSONMinifierTests {
    @Test func progressIsReportedInStretchesAndTheOutputIsTheSame() {
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
                out.withUnsafeMutableBytes { JSONMinifier.minify(source, into: $0, every: every) { reports.append($0) } }
            }
            #expect(Array(out.prefix(written)) == whole, "every \(every)")
            #expect(reports.last == bytes.count && reports == reports.sorted(), "every \(every)")
            // A stretch may end one byte late, past an escape.
            if every < Int.max { #expect(reports.count >= bytes.count / (every + 1), "every \(every)") }
        }
    }
}
