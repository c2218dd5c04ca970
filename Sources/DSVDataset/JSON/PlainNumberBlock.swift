#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Validates compact runs of plain numbers — `239.97,-3,0.25,` — 64 bytes at a time with SSE2
/// (x86-64's baseline), the way simdjson classifies bytes: each byte class becomes a 64-bit mask,
/// and the number grammar becomes a handful of mask identities. Polygons, boxes, RLE counts and
/// keypoints are about two thirds of a COCO export's bytes; the byte loop of
/// `JSONScanner.skipPlainNumbers` validates them at about 1.7 GB/s, this at several times that.
///
/// It accepts exactly what that byte loop accepts — `-?(0|[1-9][0-9]*)(\.[0-9]+)?` separated by
/// `,` and closed by `]`, no exponent, no whitespace — and only whole elements: a block is
/// validated up to its last separator, so no state crosses blocks. Anything else (an exponent, a
/// space, an element longer than the block, an error) makes it decline, and the byte loop takes
/// over at the same element, so errors are found and reported by the same code as before.
enum PlainNumberBlock {
    /// Bytes read per block; the caller guarantees that many are readable.
    static let width = 64

    /// Validates the elements starting at `start` (an element's first byte) up to the last
    /// separator within the next 64 bytes.
    /// - Returns: the bytes consumed, through that separator (0 when it declines), and whether
    ///   the separator was the array's closing `]`.
    @inline(__always)
    static func scan(_ start: UnsafePointer<UInt8>) -> (consumed: Int, closed: Bool) {
        #if arch(x86_64)
        let masks = Masks(start)
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
        #else
        return (0, false)
        #endif
    }

    #if arch(x86_64)
    /// One bit per byte of the block for each class that matters.
    private struct Masks {
        var digits: UInt64 = 0, zeros: UInt64 = 0, minus: UInt64 = 0, dots: UInt64 = 0, commas: UInt64 = 0

        @inline(__always)
        init(_ start: UnsafePointer<UInt8>) {
            // '0'...'9' shifted to -128...-119, the only bytes below -118 as signed bytes.
            let shift = _mm_set1_epi8(0x50), ceiling = _mm_set1_epi8(-118)
            let zero = _mm_set1_epi8(0x30), dash = _mm_set1_epi8(0x2D), dot = _mm_set1_epi8(0x2E), comma = _mm_set1_epi8(0x2C)
            let raw = UnsafeRawPointer(start)
            for lane in 0..<4 {
                let v = _mm_loadu_si128((raw + 16 &* lane).assumingMemoryBound(to: __m128i.self))
                let at = UInt64(16 &* lane)
                digits |= Self.bits(_mm_cmplt_epi8(_mm_add_epi8(v, shift), ceiling)) &<< at
                zeros |= Self.bits(_mm_cmpeq_epi8(v, zero)) &<< at
                minus |= Self.bits(_mm_cmpeq_epi8(v, dash)) &<< at
                dots |= Self.bits(_mm_cmpeq_epi8(v, dot)) &<< at
                commas |= Self.bits(_mm_cmpeq_epi8(v, comma)) &<< at
            }
        }

        @inline(__always)
        private static func bits(_ v: __m128i) -> UInt64 { UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(v))) }
    }
    #endif
}
