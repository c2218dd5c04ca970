import Dispatch
import DSVNative

/// Removes the whitespace between tokens of a validated JSON value, leaving every string and
/// number exactly as written. Pretty-printed and compact exports of the same content thus give
/// the same manifest.
public enum JSONMinifier {
    /// Appends the minified value to `out`.
    public static func minify(_ value: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: value.count))
        let written = out.withUnsafeMutableBytes { minify(value, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
        out.removeLast(value.count - written)
    }

    /// Writes the minified value at the start of `out`, which must hold `value.count` bytes;
    /// returns how many it wrote. (In place: a pretty-printed export's arrays are minified
    /// straight into the memory they are then read from.) `consumed` hears, every `every`
    /// bytes of `value`, how many of them have been read: the caller may let them go.
    ///
    /// 64 bytes at a time, as simdjson finds strings: a block without a backslash has its
    /// strings where the running XOR of its quote bits is set, so the bytes to keep are those
    /// inside strings and those that are not whitespace, copied without a branch per byte. A
    /// block with a backslash, and the last few bytes, go through the byte loop, which knows
    /// escapes.
    ///
    /// Where the CPU has AVX-512 VBMI2 (`vectorized`), runs of such blocks are packed in vector
    /// registers instead (`VectorMinifier`), and this loop takes the rest.
    public static func minify(_ value: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer,
                              every: Int = .max, vectorized: Bool = VectorMinifier.available,
                              consumed: (Int) -> Void = { _ in }) -> Int {
        precondition(out.count >= value.count, "room for the whole value")
        guard let source = value.baseAddress, let target = out.baseAddress else { return 0 }
        var inString = false
        var index = 0, written = 0
        let count = value.count, width = StringByteClasses.width
        while index < count {
            let stretchEnd = min(count, index &+ every)
            while index < stretchEnd {
                if vectorized && stretchEnd &- index >= width {
                    let (read, wrote) = VectorMinifier.minifyBlocks(source + index, count: stretchEnd &- index,
                                                                    into: target + written, inString: &inString)
                    index &+= read
                    written &+= wrote
                    if index == stretchEnd { break }
                }
                var loopEnd = stretchEnd
                if stretchEnd &- index >= width {
                    let classes = StringByteClasses(source + index)
                    if classes.backslashes == 0 {
                        var inside = StringByteClasses.prefixXor(classes.quotes)
                        if inString { inside = ~inside }
                        inString = inside &>> 63 != 0
                        let keep = ~classes.whitespace | inside
                        if keep == ~0 {
                            (target + written).copyMemory(from: source + index, byteCount: width)
                            written &+= width
                        } else {
                            // Every byte is stored; the next store overwrites it unless kept.
                            var bits = keep, to = target + written
                            let from = (source + index).assumingMemoryBound(to: UInt8.self)
                            for i in 0..<width {
                                to.storeBytes(of: from[i], as: UInt8.self)
                                to += Int(bits & 1)
                                bits &>>= 1
                            }
                            written = to - target
                        }
                        index &+= width
                        continue
                    }
                    loopEnd = index &+ width
                }
                while index < loopEnd {
                    let c = value[index]
                    if inString {
                        out[written] = c
                        written += 1
                        if c == UInt8(ascii: "\\") {
                            out[written] = value[index + 1]
                            written += 1
                            index += 2
                            continue
                        }
                        if c == UInt8(ascii: "\"") { inString = false }
                    } else if c == UInt8(ascii: "\"") {
                        inString = true
                        out[written] = c
                        written += 1
                    } else if !JSONScanner.isWhitespace(c) {
                        out[written] = c
                        written += 1
                    }
                    index += 1
                }
            }
            consumed(min(index, count))
        }
        return written
    }

    /// `minify` on all cores: `value` is cut at `cuts` (offsets, ascending, where an element of
    /// the array starts — outside any string: the reader found them there), each part is
    /// minified at its own offset in `out` (a part never writes more than it reads, so none
    /// reaches the next part's start), and the parts are then moved down to follow one another.
    /// `consumed` hears, from any thread, each stretch of `value` read (as a range of it).
    public static func minify(_ value: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, cuts: [Int], every: Int,
                       consumed: @escaping @Sendable (Range<Int>) -> Void) -> Int {
        precondition(out.count >= value.count, "room for the whole value")
        let bounds = [0] + cuts + [value.count]
        let written = ResultSlots<Int>(count: bounds.count - 1)
        let source = SharedBytes(bytes: value), target = SharedOutput(bytes: out)
        DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { part in
            let range = bounds[part]..<bounds[part + 1]
            written[part] = minify(UnsafeRawBufferPointer(rebasing: source.bytes[range]),
                                   into: UnsafeMutableRawBufferPointer(rebasing: target.bytes[range.lowerBound...]),
                                   every: every) { read in consumed(range.lowerBound..<range.lowerBound + read) }
        }
        var total = written[0]!
        for part in 1..<bounds.count - 1 {
            let count = written[part]!
            (out.baseAddress! + total).copyMemory(from: out.baseAddress! + bounds[part], byteCount: count)
            total += count
        }
        return total
    }
}
