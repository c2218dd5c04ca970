import Glibc

/// Memory handed out in slices of large anonymous mappings, for many small buffers that live
/// and die together: a version's 65,536 decompressed shards. With a `malloc` each, a thread's
/// heap grows a page or two at a time, an `mprotect` per growth, and the allocator's own
/// bookkeeping comes on top; here a chunk of 32 MB is mapped once and handed out in order.
/// (Transparent huge pages were tried for the chunks: on a virtual machine, fresh 2 MB pages
/// cost more to touch than the small pages the kernel recycles, and checkouts got slower.)
///
/// Not thread safe: one per thread. What it hands out stays valid while the arena lives.
public final class BumpArena: @unchecked Sendable {
    /// Bytes mapped at a time (more for a larger request).
    static let chunkSize = 32 << 20

    private var chunks: [UnsafeMutableRawBufferPointer] = []
    private var next: UnsafeMutableRawPointer?
    private var remaining = 0

    public init() {}

    deinit { for chunk in chunks { munmap(chunk.baseAddress, chunk.count) } }

    /// `count` uninitialized bytes.
    public func allocate(_ count: Int) -> UnsafeMutableRawBufferPointer {
        if count > remaining || next == nil { grow(count) }
        let start = next!
        next = start + count
        remaining -= count
        return UnsafeMutableRawBufferPointer(start: start, count: count)
    }

    /// Bytes mapped so far.
    public var mappedBytes: Int { chunks.reduce(0) { $0 + $1.count } }

    private func grow(_ count: Int) {
        let size = max(Self.chunkSize, count)
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { fatalError("out of memory: mapping \(size) bytes") }
        chunks.append(UnsafeMutableRawBufferPointer(start: mapped, count: size))
        next = mapped
        remaining = size
    }
}
