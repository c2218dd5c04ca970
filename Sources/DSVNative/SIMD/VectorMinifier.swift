import CMinify

/// The minifier's blocks without escapes, packed with AVX-512 VBMI2 where the CPU has it
/// (`CMinify`): a `json.dump`-spaced export's arrays minify in two thirds of the time of storing
/// each block's bytes one at a time (the rest is the fresh memory they go to). `JSONMinifier`
/// keeps the blocks with escapes, the last partial block and every other CPU.
public enum VectorMinifier {
    /// Whether this CPU has it: asked once.
    public static let available = dsv_minify_vectorized_available() != 0

    /// Minifies whole 64-byte blocks from `source` (`count` bytes) into `target` up to the first
    /// block with a backslash or the last partial block; `state` says where the first starts
    /// (`JSONMinifier.State`), and is updated. `target` needs room for the bytes read: each block
    /// is stored whole at the write position, which never passes the read position. Only when
    /// `available`.
    @inline(__always)
    public static func minifyBlocks(_ source: UnsafeRawPointer, count: Int, into target: UnsafeMutableRawPointer,
                                    inString: inout Bool, lastWord: inout Bool, pending: inout Bool,
                                    merged: inout Bool) -> (read: Int, written: Int) {
        var written = 0
        var state = dsv_minify_state(in_string: inString ? 1 : 0, last_word: lastWord ? 1 : 0, pending: pending ? 1 : 0,
                                     merged: merged ? 1 : 0)
        let read = dsv_minify_blocks(source.assumingMemoryBound(to: UInt8.self), count,
                                     target.assumingMemoryBound(to: UInt8.self), &written, &state)
        (inString, lastWord, pending, merged) = (state.in_string != 0, state.last_word != 0, state.pending != 0, state.merged != 0)
        return (read, written)
    }
}
