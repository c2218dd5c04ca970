import Glibc

/// glibc's `memchr` and `memcmp` (vectorized for the machine they run on), for byte searches
/// and comparisons over long runs.
public enum ByteSearch {
    /// The offset of the first `byte` in `bytes[from..<to]`, or nil.
    @inline(__always)
    public static func first(_ byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + from, Int32(byte), to - from) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// The offset of the first occurrence of `pattern` in `bytes[from..<to]`, or nil (`memmem`).
    public static func first(_ pattern: StaticString, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = bytes.baseAddress else { return nil }
        guard let found = glibcMemmem(base + from, to - from, pattern.utf8Start, pattern.utf8CodeUnitCount) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// Whether two runs hold the same bytes: one `memcmp`, not a comparison element by element.
    @inline(__always)
    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }
}

/// glibc's `memmem`, which its Swift module leaves out (a GNU extension).
@_silgen_name("memmem")
private func glibcMemmem(_ haystack: UnsafeRawPointer, _ haystackLength: Int, _ needle: UnsafeRawPointer,
                         _ needleLength: Int) -> UnsafeMutableRawPointer?
