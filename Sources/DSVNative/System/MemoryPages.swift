import Glibc

/// Memory of the process's own given back to the kernel while it stays allocated.
public enum MemoryPages {
    /// Gives back the whole pages within `bytes`, memory the caller owns (part of an allocation
    /// of its own) and holds nothing it will read again: they read as zeros if touched again,
    /// and cost no memory until then. For what a parallel scan's entries left behind when they
    /// were moved together.
    public static func release(_ bytes: UnsafeMutableRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let start = (UInt(bitPattern: base) + page - 1) / page * page
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) / page * page
        guard start < end, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        madvise(pointer, Int(end - start), MADV_DONTNEED)
    }
}
