#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// For a block of 64 bytes, one bit per byte for each class of byte that tells JSON text inside
/// strings from text between tokens — quotes, backslashes, whitespace, and the structural
/// `{}[],:` — computed 16 bytes at a time with SSE2 (a byte loop elsewhere). The minifier reads
/// which bytes to keep off these masks (`JSONMinifier`) without a vector type.
public struct StringByteClasses {
    public static let width = 64
    public let quotes: UInt64, backslashes: UInt64, whitespace: UInt64, structural: UInt64

    /// The classes of the 64 bytes at `start`, which must all be readable.
    @inlinable @inline(__always)
    public init(_ start: UnsafeRawPointer) {
        var (quotes, backslashes, whitespace, structural): (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        #if arch(x86_64)
        let quote = _mm_set1_epi8(0x22), backslash = _mm_set1_epi8(0x5C)
        let space = _mm_set1_epi8(0x20), tab = _mm_set1_epi8(0x09), lineFeed = _mm_set1_epi8(0x0A), carriageReturn = _mm_set1_epi8(0x0D)
        // `{` `}` `[` `]` `,` `:`: with bit 5 cleared, `{}` become `[]` (0x5B, 0x5D); `,` and `:` apart.
        let fold = _mm_set1_epi8(~0x20), openBracket = _mm_set1_epi8(0x5B), closeBracket = _mm_set1_epi8(0x5D)
        let comma = _mm_set1_epi8(0x2C), colon = _mm_set1_epi8(0x3A)
        for lane in 0..<4 {
            let v = _mm_loadu_si128((start + 16 &* lane).assumingMemoryBound(to: __m128i.self))
            let at = UInt64(16 &* lane)
            quotes |= ByteMask.bits(_mm_cmpeq_epi8(v, quote)) &<< at
            backslashes |= ByteMask.bits(_mm_cmpeq_epi8(v, backslash)) &<< at
            let blank = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, lineFeed), _mm_cmpeq_epi8(v, carriageReturn)))
            whitespace |= ByteMask.bits(blank) &<< at
            let folded = _mm_and_si128(v, fold)
            let marks = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(folded, openBracket), _mm_cmpeq_epi8(folded, closeBracket)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, colon)))
            structural |= ByteMask.bits(marks) &<< at
        }
        #else
        let bytes = start.assumingMemoryBound(to: UInt8.self)
        for i in 0..<Self.width {
            let c = bytes[i], bit = UInt64(1) &<< UInt64(i)
            if c == 0x22 { quotes |= bit }
            if c == 0x5C { backslashes |= bit }
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { whitespace |= bit }
            if Self.isStructural(c) { structural |= bit }
        }
        #endif
        (self.quotes, self.backslashes, self.whitespace, self.structural) = (quotes, backslashes, whitespace, structural)
    }

    /// Whether `c` is one of `{}[],:`, which end a number or literal.
    @inlinable @inline(__always)
    public static func isStructural(_ c: UInt8) -> Bool {
        let folded = c & ~0x20
        return folded == 0x5B || folded == 0x5D || c == 0x2C || c == 0x3A
    }

    /// Bit i set when an odd number of bits 0...i of `mask` are: with `mask` the quotes of a
    /// block without escapes, the bytes from each opening quote up to its closing one.
    @inlinable @inline(__always)
    public static func prefixXor(_ mask: UInt64) -> UInt64 {
        var x = mask
        x ^= x &<< 1
        x ^= x &<< 2
        x ^= x &<< 4
        x ^= x &<< 8
        x ^= x &<< 16
        x ^= x &<< 32
        return x
    }
}
