@testable import DSVDataset
import DSVJSON
import DSVNative
import DSVTestSupport
import Testing

/// A tail minified in steps and a padded last block (`MinifiedTail`) is what one pass of the
/// minifier makes of it, wherever escapes fall against its 64-byte blocks and its steps; a tail
/// whose whitespace joins two tokens, or that minifies to more than a digest covers, has none.
@Suite struct MinifiedTailTests {
    /// A spaced tail from `,` to `}`, strings full of escapes (`\"`, `\\`) at every offset.
    static func tail(members: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix(seed: seed)
        var text = ""
        for n in 0..<members {
            let run = String(repeating: "\\\\", count: Int(generator.next() % 3)) + (generator.next() % 2 == 0 ? "\\\"" : "")
            let pad = String(repeating: "x", count: Int(generator.next() % 70))
            text += #", "k\#(n)" :  "\#(pad)\#(run)\#(pad)" ,"n\#(n)":\#t[ 1 ,  2.5 ]"#
        }
        return Array((text + " }").utf8)
    }

    @Test(arguments: [1, 5, 40, 120])
    func stepsAndPaddingGiveOnePassesResult(members: Int) {
        let scratch = MinifiedTail()
        for seed in 0..<20 as Range<UInt64> {
            let bytes = Self.tail(members: members, seed: seed)
            var whole: [UInt8] = []
            bytes.withUnsafeBytes { JSONMinifier.minify($0, into: &whole) }
            bytes.withUnsafeBytes { source in
                let minified = scratch.minify(source, 0..<source.count)
                if whole.count <= ElementKey.maximumLength {
                    #expect(minified.map(Array.init) == whole, "seed \(seed)")
                } else {
                    #expect(minified == nil, "seed \(seed): longer than a digest covers")
                }
            }
        }
    }

    @Test func joinedTokensHaveNoMinifiedTail() {
        let scratch = MinifiedTail()
        for text in [#", "a": 1 2}"#, #", "a": tr ue}"#, #", "a": [1, 2 3]}"#] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBytes { scratch.minify($0, 0..<$0.count) } == nil, "\(text)")
        }
        let fine = Array(#", "a" : [ 1 , 2 ] , "b": "1 2" }"#.utf8)
        #expect(fine.withUnsafeBytes { scratch.minify($0, 0..<$0.count).map(Array.init) } == Array(#","a":[1,2],"b":"1 2"}"#.utf8))
    }
}
