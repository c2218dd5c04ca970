import DSVJSON
import DSVNative

/// Memory a reader minifies one object's tail into: a tail that minifies to more than a digest
/// covers (`ElementKey.maximumLength`) is given up as soon as it is seen to, however long its
/// whitespace makes it in the file (a pretty-printer's indented polygons several times).
final class MinifiedTail: @unchecked Sendable {
    let bytes: UnsafeMutableRawBufferPointer
    /// Bytes of the file minified at a time.
    static let step = 4096

    init() { bytes = .allocate(byteCount: ElementKey.maximumLength + Self.step + 128, alignment: 16) }

    deinit { bytes.deallocate() }

    /// All of it, which a digest may read around the tail.
    var readable: UnsafeRawBufferPointer { UnsafeRawBufferPointer(bytes) }

    /// `source[range]` (which ends outside strings) minified, in this memory; nil when that is
    /// longer than a digest covers, or when dropping the whitespace joined two tokens (`1 2`,
    /// `tr ue`): the bytes are no JSON, whatever their minified form would match.
    @inline(__always)
    func minify(_ source: UnsafeRawBufferPointer, _ range: Range<Int>) -> UnsafeRawBufferPointer? {
        var state = JSONMinifier.State(), written = 0
        guard piece(source, range, &state, &written), !state.invalid else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[0..<written])
    }

    /// The same, with where `mark` — a place in `source` within `range`, between tokens — lands.
    func minify(_ source: UnsafeRawBufferPointer, _ range: Range<Int>, marking mark: Int?) -> (UnsafeRawBufferPointer, Int?)? {
        guard let mark else { return minify(source, range).map { ($0, nil) } }
        var state = JSONMinifier.State(), written = 0
        guard piece(source, range.lowerBound..<mark, &state, &written) else { return nil }
        let landed = written
        guard piece(source, mark..<range.upperBound, &state, &written), !state.invalid else { return nil }
        return (UnsafeRawBufferPointer(rebasing: bytes[0..<written]), landed)
    }

    /// Minifies `source[range]`, which ends outside strings, after the `written` bytes already
    /// here, a step at a time; false once more than a digest covers is written. The last
    /// partial block of 64 bytes is minified padded with spaces (dropped, being outside
    /// strings, and joining nothing: no token follows them), so that the vector minifier takes
    /// it too: the byte loop took a tenth of such a round.
    @inline(__always)
    private func piece(_ source: UnsafeRawBufferPointer, _ range: Range<Int>, _ state: inout JSONMinifier.State,
                       _ written: inout Int) -> Bool {
        var at = range.lowerBound
        while range.upperBound - at > 64 {
            // A stretch never ends inside an escape: the minifier carries no half of one over.
            let end = Self.outsideEscape(source, at + min(Self.step, (range.upperBound - at - 1) & ~63), after: at)
            written += JSONMinifier.minify(UnsafeRawBufferPointer(rebasing: source[at..<end]),
                                           into: UnsafeMutableRawBufferPointer(rebasing: bytes[written...]), state: &state)
            guard written <= ElementKey.maximumLength else { return false }
            at = end
        }
        let rest = range.upperBound - at
        guard rest > 0 else { return true }
        written += withUnsafeTemporaryAllocation(byteCount: 64, alignment: 16) { block in
            block.initializeMemory(as: UInt8.self, repeating: UInt8(ascii: " "))
            block.baseAddress!.copyMemory(from: source.baseAddress! + at, byteCount: rest)
            return JSONMinifier.minify(UnsafeRawBufferPointer(block), into: UnsafeMutableRawBufferPointer(rebasing: bytes[written...]),
                                       state: &state)
        }
        return written <= ElementKey.maximumLength
    }

    /// `position`, or the place before it when it falls between a backslash and the byte that
    /// backslash escapes (an odd run of backslashes ends before it).
    @inline(__always)
    static func outsideEscape(_ source: UnsafeRawBufferPointer, _ position: Int, after start: Int) -> Int {
        var run = 0
        while position - run > start, source[position - run - 1] == UInt8(ascii: "\\") { run += 1 }
        return run % 2 == 1 ? position - 1 : position
    }
}
