import CMinify

/// The minifier's blocks without escapes, packed in vector registers where the CPU can
/// (`CMinify`): a `json.dump`-spaced export's arrays minify in two thirds of the time of storing
/// each block's bytes one at a time with AVX-512 VBMI2, and in two fifths of it with AVX2 alone (the
/// rest is the fresh memory they go to). `JSONMinifier` keeps the blocks with escapes, the last
/// partial block and every other CPU.
public enum VectorMinifier {
    /// A way of packing a block's kept bytes.
    public enum Kind: Sendable, CaseIterable, CustomStringConvertible {
        /// VPCOMPRESSB, a block in one instruction.
        case avx512
        /// PSHUFB from a table, eight bytes at a time.
        case avx2

        var native: dsv_minify_kind { self == .avx512 ? dsv_minify_avx512 : dsv_minify_avx2 }
        public var description: String { self == .avx512 ? "AVX-512" : "AVX2" }
    }

    /// The kinds this CPU has, the fastest first: asked once.
    public static let supported = Kind.allCases.filter { dsv_minify_kind_available($0.native) != 0 }
    /// What the minifier uses: the fastest this CPU has, or none.
    public static let best = supported.first

    /// Minifies whole 64-byte blocks from `source` (`count` bytes) into `target` up to the first
    /// block with a backslash or the last partial block; `state` says where the first starts
    /// (`JSONMinifier.State`), and is updated. `target` needs room for the bytes read: each
    /// block's kept bytes are stored in whole vectors at the write position, which never passes
    /// the read position. Only with a `kind` the CPU has (`supported`).
    @inline(__always)
    public static func minifyBlocks(_ kind: Kind, _ source: UnsafeRawPointer, count: Int, into target: UnsafeMutableRawPointer,
                                    inString: inout Bool, lastWord: inout Bool, pending: inout Bool,
                                    merged: inout Bool) -> (read: Int, written: Int) {
        var written = 0
        var state = dsv_minify_state(in_string: inString ? 1 : 0, last_word: lastWord ? 1 : 0, pending: pending ? 1 : 0,
                                     merged: merged ? 1 : 0)
        let read = dsv_minify_blocks(kind.native, source.assumingMemoryBound(to: UInt8.self), count,
                                     target.assumingMemoryBound(to: UInt8.self), &written, &state)
        (inString, lastWord, pending, merged) = (state.in_string != 0, state.last_word != 0, state.pending != 0, state.merged != 0)
        return (read, written)
    }
}
