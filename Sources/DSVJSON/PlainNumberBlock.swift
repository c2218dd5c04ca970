import DSVNative

/// Validates compact runs of plain numbers — `239.97,-3,0.25,` — 64 bytes at a time, the way
/// simdjson does: each byte class becomes a 64-bit mask (`NumberByteClasses`, SSE2), and the
/// number grammar a handful of mask identities. Polygons, boxes, RLE counts and
/// keypoints are about two thirds of a COCO export's bytes; the byte loop of
/// `JSONScanner.skipPlainNumbers` validates them at about 1.7 GB/s, this at several times that.
///
/// It accepts exactly what that byte loop accepts — `-?(0|[1-9][0-9]*)(\.[0-9]+)?` separated by
/// `,` and closed by `]`, no exponent, no whitespace — and only whole elements: a block is
/// validated up to its last separator, so no state crosses blocks. Anything else (an exponent, a
/// space, an element longer than the block, an error) makes it decline, and the byte loop takes
/// over at the same element, so errors are found and reported by the same code as before.
@usableFromInline enum PlainNumberBlock {
    /// Bytes read per block; the caller guarantees that many are readable.
    @inlinable static var width: Int { NumberByteClasses.width }

    /// Validates the elements starting at `start` (an element's first byte) up to the last
    /// separator within the next 64 bytes.
    /// - Returns: the bytes consumed, through that separator (0 when it declines), and whether
    ///   the separator was the array's closing `]`.
    @inlinable @inline(__always)
    static func scan(_ start: UnsafePointer<UInt8>) -> (consumed: Int, closed: Bool) {
        let masks = NumberByteClasses(start)
        let allowed = masks.digits | masks.minus | masks.dots | masks.commas
        let stop = (~allowed).trailingZeroBitCount
        let closed = stop < width && start[stop] == UInt8(ascii: "]")
        let end: Int
        if closed {
            end = stop
        } else {
            let commas = stop == width ? masks.commas : masks.commas & (1 &<< UInt64(stop) &- 1)
            guard commas != 0 else { return (0, false) }
            end = 63 - commas.leadingZeroBitCount
        }
        // Positions 0...end: whole elements, each followed by its separator.
        let region: UInt64 = end == 63 ? ~0 : (2 &<< UInt64(end)) &- 1
        let digits = masks.digits & region, minus = masks.minus & region, dots = masks.dots & region
        let starts = (1 | masks.commas &<< 1) & region
        let integerStarts = starts & digits | minus &<< 1
        // A dot's fraction is a digit run; adding the dot's next bit carries across that run and
        // lands on the byte after it, which must not be a second dot.
        let fractionEnds = (digits &+ dots &<< 1) & ~digits
        let wrong = starts & ~(minus | digits)             // an element starts with '-' or a digit
            | minus & ~starts                               // '-' only there
            | minus &<< 1 & ~digits                         // and a digit after it
            | (integerStarts & masks.zeros) &<< 1 & digits  // no leading zero
            | dots & ~(digits &<< 1)                        // a digit before a dot
            | dots &<< 1 & ~digits                          // and after it
            | fractionEnds & dots                           // one dot per number
        guard wrong == 0 else { return (0, false) }
        return (end + 1, closed)
    }
}
