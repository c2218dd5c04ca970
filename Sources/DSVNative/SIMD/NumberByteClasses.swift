#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// For a block of 64 bytes, one bit per byte for each class of byte a run of JSON numbers is
/// made of — digits, zeros, '-', '.', ',' — computed 16 bytes at a time with SSE2 (x86-64's
/// baseline; a byte loop elsewhere). The wrapper of the compiler's vector intrinsics: the JSON
/// layer reads the number grammar off these masks (`PlainNumberBlock`) without a vector type.
public struct NumberByteClasses {
    public static let width = 64
    public let digits: UInt64, zeros: UInt64, minus: UInt64, dots: UInt64, commas: UInt64

    /// The classes of the 64 bytes at `start`, which must all be readable.
    @inlinable @inline(__always)
    public init(_ start: UnsafePointer<UInt8>) {
        var (digits, zeros, minus, dots, commas): (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        #if arch(x86_64)
        // '0'...'9' shifted to -128...-119, the only bytes below -118 as signed bytes.
        let shift = _mm_set1_epi8(0x50), ceiling = _mm_set1_epi8(-118)
        let zero = _mm_set1_epi8(0x30), dash = _mm_set1_epi8(0x2D), dot = _mm_set1_epi8(0x2E), comma = _mm_set1_epi8(0x2C)
        let raw = UnsafeRawPointer(start)
        for lane in 0..<4 {
            let v = _mm_loadu_si128((raw + 16 &* lane).assumingMemoryBound(to: __m128i.self))
            let at = UInt64(16 &* lane)
            digits |= ByteMask.bits(_mm_cmplt_epi8(_mm_add_epi8(v, shift), ceiling)) &<< at
            zeros |= ByteMask.bits(_mm_cmpeq_epi8(v, zero)) &<< at
            minus |= ByteMask.bits(_mm_cmpeq_epi8(v, dash)) &<< at
            dots |= ByteMask.bits(_mm_cmpeq_epi8(v, dot)) &<< at
            commas |= ByteMask.bits(_mm_cmpeq_epi8(v, comma)) &<< at
        }
        #else
        for i in 0..<Self.width {
            let c = start[i], bit = UInt64(1) &<< UInt64(i)
            if c &- 0x30 < 10 { digits |= bit }
            if c == 0x30 { zeros |= bit }
            if c == 0x2D { minus |= bit }
            if c == 0x2E { dots |= bit }
            if c == 0x2C { commas |= bit }
        }
        #endif
        (self.digits, self.zeros, self.minus, self.dots, self.commas) = (digits, zeros, minus, dots, commas)
    }
}
