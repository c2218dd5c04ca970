import DSVJSON
import DSVNative

/// An export written with whitespace between its tokens (`json.dump`'s `", "` and `": "`,
/// pretty-printers, Datumaro), minified whole into memory so that it is read once, as a compact
/// export is. Read as written, such a file took a pass to find its arrays and check it, then a
/// minified copy of each array read again: at train2017's size, 0.24 of a next round's 0.71 s
/// went to that first pass.
///
/// The copy is made before anything is checked, so it must never pass for valid where the file
/// was not. Dropping whitespace between tokens changes no token, except where it joins two
/// (`[1 2]` would read as `[12]`): the minifier reports that (`JSONMinifier.State.invalid`), and
/// there is no copy. Any other fault is the copy's as much as the file's, and the reader then
/// reads the file as written for the error's place in it.
enum MinifiedCopy {
    /// Of the bytes sampled, the share of whitespace between tokens from which a file is
    /// copied: `json.dump` spaces a tenth of a COCO file's bytes, pretty-printers more, where a
    /// compact file with one element per line has a newline every few hundred bytes.
    static let spacedShare = 0.02
    /// Bytes sampled at each of a few places, cut to the file's size.
    static let sampleBytes = 16 << 10

    /// The minified copy of `mapping`'s bytes, spaced between tokens (`looksSpaced`), if they
    /// minify faithfully: the whitespace (and byte order mark) before the top-level value and
    /// after it as written, the value minified between. The file's pages are let go as they
    /// are copied.
    static func make(of mapping: FileMapping, name: String) -> FileMapping? {
        let bytes = mapping.bytes
        var scanner = JSONScanner(bytes)
        scanner.skipLeading()
        let start = scanner.position
        var end = bytes.count
        while end > start, JSONScanner.isWhitespace(bytes[end - 1]) { end -= 1 }
        guard start < end, let copy = try? FileMapping(anonymous: name, count: bytes.count) else { return nil }
        let out = copy.writableBytes
        out.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: start)
        let (written, state) = minify(start..<end, of: mapping, into: copy, at: start,
                                      cuts: cuts(in: UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
        guard !state.invalid, !state.inString else { return nil }
        (out.baseAddress! + start + written).copyMemory(from: bytes.baseAddress! + end, byteCount: bytes.count - end)
        copy.seal(keeping: start + written + bytes.count - end)
        return copy
    }

    /// Minifies `range` of `source` into the anonymous mapping `target` from `offset` on, on all
    /// cores cut at `cuts` (offsets within the range; `JSONMinifier.minify(cuts:)`). The source's
    /// pages are let go as they are read — the copy replaces them, and beside them would double
    /// them in memory — and the target's are mapped in a step ahead of the writing
    /// (`FileMapping.populate`).
    static func minify(_ range: Range<Int>, of source: FileMapping, into target: FileMapping, at offset: Int,
                       cuts: [Int]) -> (written: Int, state: JSONMinifier.State) {
        let step = 16 << 20, origin = range.lowerBound
        return JSONMinifier.minify(UnsafeRawBufferPointer(rebasing: source.bytes[range]),
                                   into: UnsafeMutableRawBufferPointer(rebasing: target.writableBytes[offset...]),
                                   cuts: cuts, every: step) { read in
            source.evict(origin + read.lowerBound..<origin + read.upperBound)
            target.populate(offset + read.upperBound..<offset + read.upperBound + step)
        }
    }

    /// Whether a few samples of `bytes` (all of them when it is small) are spaced between tokens.
    /// A sample may begin inside a string and count the spaces of its text: only the choice
    /// between two ways of reading the file depends on it, not what is read.
    static func looksSpaced(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let places = bytes.count <= 8 * sampleBytes ? [0..<bytes.count]
            : (1...4).map { k in bytes.count * k / 5 ..< bytes.count * k / 5 + sampleBytes }
        var scratch = [UInt8](repeating: 0, count: places.map(\.count).max() ?? 0)
        var (sampled, dropped) = (0, 0)
        for place in places {
            let written = scratch.withUnsafeMutableBytes { JSONMinifier.minify(UnsafeRawBufferPointer(rebasing: bytes[place]), into: $0) }
            sampled += place.count
            dropped += place.count - written
        }
        return sampled > 0 && Double(dropped) >= spacedShare * Double(sampled)
    }

    /// Where `value` may be cut to be minified on all cores: a few places, evenly spaced, each
    /// moved on to where an element of an array of objects seems to begin (`{` after `}` and `,`,
    /// whitespace around the comma). One inside a string is found out by the minifier.
    static func cuts(in value: UnsafeRawBufferPointer) -> [Int] {
        let parts = min(SystemInfo.processorCount, value.count / ParallelArrayScan.minimumBytes)
        guard parts > 1 else { return [] }
        var cuts: [Int] = []
        for k in 1..<parts {
            let guess = max(cuts.last.map { $0 + 1 } ?? 0, value.count * k / parts)
            if let cut = ParallelArrayScan.find([UInt8(ascii: "{")], in: value, from: guess, limit: 4 << 20) { cuts.append(cut) }
        }
        return cuts
    }
}
