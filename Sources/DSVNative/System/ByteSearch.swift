import Glibc

/// glibc's `memchr` (vectorized for the machine it runs on), for byte searches over long runs.
public enum ByteSearch {
    /// The offset of the first `byte` in `bytes[from..<to]`, or nil.
    @inline(__always)
    public static func first(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + from, Int32(byte), to - from) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}
