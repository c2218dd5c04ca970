import Dispatch
import DSVNative

/// Removes the whitespace between the tokens of JSON text, leaving every string and number
/// exactly as written. Pretty-printed and compact exports of the same content thus give the
/// same manifest. Text not yet checked may be given: where the output would pass for valid
/// JSON and the text was not, the minifier says so (`State.invalid`).
public enum JSONMinifier {
    /// Appends the minified value to `out`.
    public static func minify(_ value: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: value.count))
        let written = out.withUnsafeMutableBytes { minify(value, into: UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
        out.removeLast(value.count - written)
    }

    /// What the minifier carries from one byte to the next: a stretch of text minified from a
    /// state gives what the same text gives in the middle of a longer one.
    public struct State: Equatable, Sendable {
        /// The next byte is inside a string.
        public var inString = false
        /// The last byte was outside strings and part of a number or literal (not whitespace, a
        /// quote or one of `{}[],:`).
        var lastWord = false
        /// Whitespace is being dropped that followed such a byte.
        var pending = false
        /// The text cannot have been valid JSON, and the output would pass for valid where it
        /// was not: whitespace was dropped between two bytes of numbers or literals (`1 2` and
        /// `tr ue` would read as one token), or the text ended on a backslash.
        public var invalid = false

        public init() {}

        init(inString: Bool, lastWord: Bool, pending: Bool, invalid: Bool) {
            (self.inString, self.lastWord, self.pending, self.invalid) = (inString, lastWord, pending, invalid)
        }

        /// The state apart from `invalid`: what a stretch of text after this one starts from.
        var position: State { State(inString: inString, lastWord: lastWord, pending: pending, invalid: false) }
    }

    /// Writes the minified value at the start of `out`, which must hold `value.count` bytes;
    /// returns how many it wrote. (In place: a pretty-printed export's arrays are minified
    /// straight into the memory they are then read from.) `consumed` hears, every `every`
    /// bytes of `value`, how many of them have been read: the caller may let them go.
    public static func minify(_ value: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer,
                              every: Int = .max, vectors: VectorMinifier.Kind? = VectorMinifier.best,
                              consumed: (Int) -> Void = { _ in }) -> Int {
        var state = State()
        return minify(value, into: out, state: &state, every: every, vectors: vectors, consumed: consumed)
    }

    /// The same from `state` (the text before `value` left it so), which is updated.
    ///
    /// 64 bytes at a time, as simdjson finds strings: a block without a backslash has its
    /// strings where the running XOR of its quote bits is set, so the bytes to keep are those
    /// inside strings and those that are not whitespace, copied without a branch per byte. A
    /// block with a backslash, and the last few bytes, go through the byte loop, which knows
    /// escapes. Whitespace dropped between two bytes of numbers or literals is found from the
    /// masks too (`State.invalid`): the dropped runs that start right after such a byte are
    /// carried through by an addition, which lands on the byte after each run.
    ///
    /// Where the CPU has AVX-512 VBMI2 or AVX2 (`vectors`), runs of such blocks are packed in
    /// vector registers instead (`VectorMinifier`), and this loop takes the rest.
    public static func minify(_ value: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, state: inout State,
                              every: Int = .max, vectors: VectorMinifier.Kind? = VectorMinifier.best,
                              consumed: (Int) -> Void = { _ in }) -> Int {
        precondition(out.count >= value.count, "room for the whole value")
        guard let source = value.baseAddress, let target = out.baseAddress else { return 0 }
        var (inString, lastWord, pending, invalid) = (state.inString, state.lastWord, state.pending, state.invalid)
        defer { state = State(inString: inString, lastWord: lastWord, pending: pending, invalid: invalid) }
        var index = 0, written = 0
        let count = value.count, width = StringByteClasses.width
        while index < count {
            let stretchEnd = min(count, index &+ every)
            while index < stretchEnd {
                if let vectors, stretchEnd &- index >= width {
                    let (read, wrote) = VectorMinifier.minifyBlocks(vectors, source + index, count: stretchEnd &- index,
                                                                    into: target + written, inString: &inString,
                                                                    lastWord: &lastWord, pending: &pending, merged: &invalid)
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
                        let dropped = ~keep
                        let word = ~(classes.whitespace | inside | classes.quotes | classes.structural)
                        let (sum, carry) = dropped.addingReportingOverflow(dropped & (word &<< 1 | (lastWord ? 1 : 0)))
                        let (landed, carried) = sum.addingReportingOverflow(pending ? 1 : 0)
                        invalid = invalid || landed & ~dropped & word != 0
                        pending = carry || carried
                        lastWord = word &>> 63 != 0
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
                            guard index + 1 < count else {
                                invalid = true  // the text ends inside an escape
                                index += 1
                                continue
                            }
                            out[written] = value[index + 1]
                            written += 1
                            index += 2
                            continue
                        }
                        if c == UInt8(ascii: "\"") { inString = false }
                    } else if c == UInt8(ascii: "\"") {
                        inString = true
                        (lastWord, pending) = (false, false)
                        out[written] = c
                        written += 1
                    } else if JSONScanner.isWhitespace(c) {
                        pending = pending || lastWord
                        lastWord = false
                    } else {
                        let word = !StringByteClasses.isStructural(c)
                        invalid = invalid || word && pending
                        (lastWord, pending) = (word, false)
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

    /// Minifies `bytes[range]` of a valid JSON value into the start of `out` (room for
    /// `range.count` bytes), cut at `marks` — ascending offsets in `bytes` within the range,
    /// each between two tokens or at a token's edge, never inside a string — and replaces each
    /// mark with its offset in `out`. Returns the bytes written. (An annotation read as its file
    /// wrote it, with whitespace, becomes the object a compact file holds, with the places of its
    /// ids in it.)
    public static func minify(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, marks: UnsafeMutableBufferPointer<Int>,
                              into out: UnsafeMutableRawBufferPointer) -> Int {
        var state = State(), written = 0, from = range.lowerBound
        for index in marks.indices {
            let mark = marks[index]
            written += minify(UnsafeRawBufferPointer(rebasing: bytes[from..<mark]),
                              into: UnsafeMutableRawBufferPointer(rebasing: out[written...]), state: &state)
            marks[index] = written
            from = mark
        }
        return written + minify(UnsafeRawBufferPointer(rebasing: bytes[from..<range.upperBound]),
                                into: UnsafeMutableRawBufferPointer(rebasing: out[written...]), state: &state)
    }

    /// `minify` on all cores: `value` is cut at `cuts` (ascending offsets), each part is minified
    /// at its own offset in `out` as if it started between two elements — outside strings, after
    /// no number — and the parts are then moved down to follow one another (a part never writes
    /// more than it reads, so none reaches the next part's start). A cut may be a guess: a place
    /// that looks like one element ending and the next beginning but lies inside a string. A
    /// part whose predecessor did not end in the state it assumed is minified again from the
    /// state the predecessor did end in, so the result is always that of one pass from the start.
    /// `consumed` hears, from any thread, each stretch of `value` read (as a range of it), and
    /// an empty one as each part starts: a part writes no further into `out` than it has read
    /// plus `every`, so a caller may prepare that much of `out` (`FileMapping.populate`).
    /// Returns the bytes written and the state at the end (`invalid` if any part was).
    public static func minify(_ value: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, cuts: [Int], every: Int,
                              consumed: @escaping @Sendable (Range<Int>) -> Void) -> (written: Int, state: State) {
        precondition(out.count >= value.count, "room for the whole value")
        let bounds = [0] + cuts + [value.count]
        let results = ResultSlots<(written: Int, state: State)>(count: bounds.count - 1)
        let source = SharedBytes(bytes: value), target = SharedOutput(bytes: out)
        @Sendable func minifyPart(_ part: Int, from start: State) -> (written: Int, state: State) {
            let range = bounds[part]..<bounds[part + 1]
            var state = start
            consumed(range.lowerBound..<range.lowerBound)
            let written = minify(UnsafeRawBufferPointer(rebasing: source.bytes[range]),
                                 into: UnsafeMutableRawBufferPointer(rebasing: target.bytes[range.lowerBound...]),
                                 state: &state, every: every) { read in consumed(range.lowerBound..<range.lowerBound + read) }
            return (written, state)
        }
        DispatchQueue.concurrentPerform(iterations: bounds.count - 1) { part in
            results[part] = minifyPart(part, from: State())
        }
        var total = 0, state = State(), invalid = false
        for part in 0..<bounds.count - 1 {
            var result = results[part]!
            if state.position != State() { result = minifyPart(part, from: state.position) }
            (out.baseAddress! + total).copyMemory(from: out.baseAddress! + bounds[part], byteCount: result.written)
            total += result.written
            state = result.state
            invalid = invalid || state.invalid
        }
        state.invalid = invalid
        return (total, state)
    }
}
