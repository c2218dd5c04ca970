/// glibc's allocator set up for what a dsv command is: a process of milliseconds to seconds that
/// builds arrays of a few megabytes phase after phase (a scan's chunks joined into one, the
/// plan's tables, the validation's), each freed before the next phase allocates its own.
///
/// By default glibc maps every block above 128 KB fresh from the kernel and unmaps it when it
/// is freed, so each page of each such array is a page fault (1.4 µs on this project's virtual
/// machine, where the host may have to back the page too), and the threads each get an arena
/// of their own. Here blocks up to 32 MB come from one heap shared by all threads (the workers
/// allocate little; what they allocate in one phase is freed in another) that is never trimmed,
/// so memory freed by one phase is reused by the next: a 10k-image status went from about
/// 5,000 page faults to 4,300 and 36.6 to 35.2 ms, a next round from 51.7 to 49.2 ms, with no
/// change in peak memory (61.3 MB for a 10k-image first commit, 531 MB at train2017's size)
/// nor in time at 40k or 118k images, where the large arrays are above 32 MB.
public enum HeapTuning {
    /// Call first thing, before any thread starts (the arena limit applies to threads to come).
    public static func apply() {
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, 1 << 30)
        _ = mallopt(arenaMax, 1)
    }

    /// `M_TRIM_THRESHOLD`, `M_MMAP_THRESHOLD` and `M_ARENA_MAX` from `<malloc.h>`, which
    /// Glibc's module does not include.
    static let (trimThreshold, mmapThreshold, arenaMax): (Int32, Int32, Int32) = (-1, -3, -8)
}

/// `int mallopt(int param, int value)` from `<malloc.h>`.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
