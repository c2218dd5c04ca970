import Glibc

/// Advice to the kernel about whole pages of the process's own memory.
public enum MemoryPages {
    /// Gives back the whole pages within `bytes`, memory the caller owns (part of an allocation
    /// or mapping of its own) and holds nothing it will read again: anonymous pages read as
    /// zeros if touched again, a file's are mapped again from the page cache, and neither costs
    /// memory until then.
    public static func release(_ bytes: UnsafeMutableRawBufferPointer) {
        advise(bytes, MADV_DONTNEED)
    }

    /// Maps in the whole pages within `bytes` at once, for anonymous memory about to be written
    /// (`MADV_POPULATE_WRITE`; see `FileMapping.populate`).
    public static func populateForWriting(_ bytes: UnsafeMutableRawBufferPointer) {
        advise(bytes, populateWrite)
    }

    /// `MADV_POPULATE_WRITE` from `<sys/mman.h>`, which Glibc's module does not name.
    static let populateWrite: Int32 = 23

    /// `madvise` over the whole pages within `bytes`, if any.
    private static func advise(_ bytes: UnsafeMutableRawBufferPointer, _ advice: Int32) {
        guard let base = bytes.baseAddress else { return }
        let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
        let start = (UInt(bitPattern: base) + page - 1) / page * page
        let end = (UInt(bitPattern: base) + UInt(bytes.count)) / page * page
        guard start < end, let pointer = UnsafeMutableRawPointer(bitPattern: start) else { return }
        madvise(pointer, Int(end - start), advice)
    }
}
