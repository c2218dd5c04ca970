#if arch(x86_64)
import _Builtin_intrinsics.intel

/// The bit masks the byte-class blocks (`NumberByteClasses`, `StringByteClasses`) are built of.
@usableFromInline enum ByteMask {
    /// One bit per byte of a 16-byte comparison result: set where the lane is all ones.
    @inlinable @inline(__always)
    static func bits(_ v: __m128i) -> UInt64 { UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(v))) }
}
#endif
