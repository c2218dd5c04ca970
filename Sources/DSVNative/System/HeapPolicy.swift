import Glibc

/// How the C heap takes memory from the kernel and gives it back.
public enum HeapPolicy {
    /// Keeps freed heap memory for reuse until the process exits. glibc grows a worker thread's
    /// heap a few pages at a time (an `mprotect` and fresh page faults each), gives memory back
    /// once 128 KiB lie free at its top, and moves its threshold for mapping large blocks
    /// apart as they are freed: a comparison (a diff, a status) that frees each shard's records
    /// and changes as it goes on every core made 1,700–1,900 `mprotect` calls, and the kernel
    /// work behind them was a twelfth of a 10k-image status's CPU. With the heap kept, and blocks
    /// under 32 MiB always taken from it, they are 26–29. Only for a command that allocates what
    /// it needs again and again and then exits: freed memory stays counted to the process, so a
    /// commit, whose peak memory is a promise, does not ask for it.
    public static func keepFreedMemory() {
        // `mallopt` and its parameters are in <malloc.h>, which Glibc's module does not import.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(trimThreshold, 256 << 20)
        _ = mallopt(topPad, 16 << 20)
        _ = mallopt(mmapThreshold, 32 << 20)
    }

    /// `M_TRIM_THRESHOLD`, `M_TOP_PAD` and `M_MMAP_THRESHOLD` from <malloc.h>.
    static let trimThreshold: Int32 = -1, topPad: Int32 = -2, mmapThreshold: Int32 = -3
}
