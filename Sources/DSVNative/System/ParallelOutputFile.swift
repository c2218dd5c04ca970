import Dispatch
import Glibc

/// A file of known size that several threads fill, each its own parts by offset (`pwrite`),
/// under a temporary name beside its destination and renamed into place on `commit()`. The
/// blocks are reserved up front (`posix_fallocate`), so a full disk shows at once, not after
/// most of the work.
///
/// Why not a shared mapping: a store through a fresh mapping of a file faults each page in,
/// and the kernel zero-fills it first (ext4 reads the reserved blocks as zeros), then writes it
/// back; a writer rendering into a small buffer of its own and handing it to `pwrite` touches
/// the page cache once, with whole pages, and keeps the memory bounded at any size.
///
/// A file of `directThreshold` bytes or more bypasses the page cache (`O_DIRECT`): a write of
/// gigabytes through the cache allocates a page for every 4 KB of it, evicts what the machine
/// had cached and is throttled to the disk's pace once dirty pages pass the kernel's limits. A
/// smaller file keeps the cache, which takes it at memory speed and writes it back after the
/// process has gone. The line is half of what the kernel lets be dirty before it starts
/// writing back (`SystemInfo.dirtyBackgroundBytes`: 2.2 GB on this machine, so 1.1 GB), and no
/// less than 64 MB. Measured alternating with `git checkout`, each run after `sync` with the
/// previous output removed, also with the page cache full of other files: a 40k-image checkout
/// (128 MB) took 0.21–0.23 s through the cache and 0.25–0.28 s direct (git 0.43 s), a
/// train2017-sized one (380 MB) 0.69–0.71 s and 0.83 s (git 1.23–1.26 s), while one of 1.18M
/// images (3.8 GB) took 15.4 s through the cache and 10.9 s direct (git 13.9 s). (The line was
/// 64 MB before: `dd` had written 256 MB in 1.5 s through the cache on a day it now takes
/// 0.04–0.28 s.) Direct
/// writes take whole aligned blocks from aligned memory: a writer's buffer starts at the file
/// offset's place in a block (`bufferShift(for:)`), the blocks a write covers whole go out at
/// once, and the pieces of the blocks two writers share are gathered here and written when
/// complete. A file system that refuses direct I/O gets the same bytes through the cache.
///
/// A direct write returns only once the disk has the bytes, so a renderer that waited for its
/// own writes would leave its core idle meanwhile: each renderer's `Writer` hands them to a
/// thread of its own and renders the next part into a second buffer (a 1.18M-image checkout's
/// rendering and writing went from 2.5–3.2 s to 1.9–2.3 s).
public final class ParallelOutputFile: @unchecked Sendable {
    public let destination: String
    public let count: Int
    /// The block a direct write takes whole (0: the file is written through the page cache).
    /// Page-sized, which any logical block size up to 4 KB divides.
    public let alignment: Int
    private let file: TemporaryFile
    private var fd: Int32 { file.descriptor }
    /// A buffered write holds the file's inode lock anyway (ext4, xfs): a second writer would
    /// spin on it, burning the core the renderers share; this lock makes it wait asleep.
    private let writing = Lock()
    /// Blocks written in pieces by several writers, by block number, until complete.
    private var partial: [Int: PartialBlock] = [:]
    private let gathering = Lock()
    /// The writes the writers have queued and not finished.
    private let pending = DispatchGroup()
    /// The first of their failures.
    private var failure: SystemError?
    private let failing = Lock()

    /// Files this large or larger are written past the page cache.
    public static let directThreshold = max(64 << 20, (SystemInfo.dirtyBackgroundBytes ?? 0) / 2)

    public convenience init(destination: String, count: Int, direct: Bool? = nil) throws(SystemError) {
        try self.init(to: .file(destination), count: count, direct: direct)
    }

    /// A file the user named, which may be one written where it stands (`OutputDestination`:
    /// the standard output, a device); such a file is made in the page cache, to be copied.
    public init(to destination: OutputDestination, count: Int, direct: Bool? = nil) throws(SystemError) {
        self.destination = destination.name
        self.count = count
        file = try TemporaryFile(for: destination)
        // Set after the file exists: a file system without direct I/O refuses the flag here
        // (an `open` with it may create the file and still fail).
        let wanted = destination.isReplaced && (direct ?? (count >= Self.directThreshold)) && O_DIRECT != 0
        let fd = file.descriptor
        let directIO = wanted && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_DIRECT) == 0
        alignment = directIO ? Int(sysconf(Int32(_SC_PAGESIZE))) : 0
        guard count > 0 else { return }
        let reserved = posix_fallocate(fd, 0, off_t(count))
        if reserved != 0 { throw SystemError("write", path: self.destination, errno: reserved) }
    }

    deinit {
        pending.wait()
        for block in partial.values { block.buffer.deallocate() }
    }

    /// How far into an allocation of `alignment` bytes more than it needs a writer's buffer for
    /// the bytes at `offset` starts, so that the whole blocks it holds lie at aligned addresses.
    public func bufferShift(for offset: Int, base: UnsafeMutableRawPointer) -> Int {
        guard alignment > 0 else { return 0 }
        return (offset % alignment - Int(bitPattern: base) % alignment + alignment) % alignment
    }

    /// Writes `bytes` at `offset`; safe from several threads at disjoint offsets.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SystemError) {
        precondition(offset >= 0 && offset + bytes.count <= count, "write past the file's size")
        guard alignment > 0 else {
            try writing.withLock { () throws(SystemError) in try FileSystem.writeAll(bytes, to: fd, at: offset, path: destination) }
            return
        }
        guard !bytes.isEmpty else { return }
        let block = alignment, end = offset + bytes.count
        // Whole blocks: from the first block boundary at or after `offset` to the last at or
        // before `end`. The file's last block, when short, is gathered like a shared one.
        let wholeStart = (offset + block - 1) / block * block, wholeEnd = end / block * block
        let aligned = Int(bitPattern: bytes.baseAddress! + (wholeStart - offset)) % block == 0
        if wholeStart < wholeEnd && aligned {
            if offset < wholeStart { try gather(bytes, from: offset, upTo: wholeStart, of: offset) }
            let length = wholeEnd - wholeStart
            try direct(UnsafeRawBufferPointer(start: bytes.baseAddress! + (wholeStart - offset), count: length), at: wholeStart,
                       written: length)
            if wholeEnd < end { try gather(bytes, from: wholeEnd, upTo: end, of: offset) }
        } else {
            try gather(bytes, from: offset, upTo: end, of: offset)
        }
    }

    /// A block some writers fill in pieces: an aligned buffer and how many of its bytes are in.
    private struct PartialBlock {
        let buffer: UnsafeMutableRawBufferPointer
        var filled: Int
    }

    /// Copies the bytes of `range` (file offsets; `bytes` starts at `origin`) into their blocks'
    /// buffers, and writes each block the copy completes.
    private func gather(_ bytes: UnsafeRawBufferPointer, from start: Int, upTo end: Int, of origin: Int) throws(SystemError) {
        let block = alignment
        var position = start
        while position < end {
            let number = position / block, blockStart = number * block
            let pieceEnd = min(end, blockStart + block)
            let expected = min(block, count - blockStart)
            let complete: UnsafeMutableRawBufferPointer? = gathering.withLock {
                var entry = partial[number] ?? PartialBlock(
                    buffer: .allocate(byteCount: block, alignment: block), filled: 0)
                (entry.buffer.baseAddress! + (position - blockStart))
                    .copyMemory(from: bytes.baseAddress! + (position - origin), byteCount: pieceEnd - position)
                entry.filled += pieceEnd - position
                if entry.filled == expected {
                    partial[number] = nil
                    return entry.buffer
                }
                partial[number] = entry
                return nil
            }
            if let complete {
                defer { complete.deallocate() }
                try direct(UnsafeRawBufferPointer(complete), at: blockStart, written: expected)
            }
            position = pieceEnd
        }
    }

    /// One direct write of whole blocks, `written` of whose bytes belong to the file (the rest
    /// lie past its end and are cut at commit). A file system that turns the write down
    /// (`EINVAL`: an alignment it needs larger) gets the file through the cache from then on.
    private func direct(_ blocks: UnsafeRawBufferPointer, at offset: Int, written: Int) throws(SystemError) {
        do {
            try FileSystem.writeAll(blocks, to: fd, at: offset, path: destination)
        } catch where error.errno == EINVAL {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT)
            try FileSystem.writeAll(UnsafeRawBufferPointer(rebasing: blocks[..<written]), to: fd, at: offset, path: destination)
        }
    }

    /// Closes and renames the file into place (or copies it into a destination written where
    /// it stands), once every queued write is done; throws the first write that failed.
    public func commit() throws(SystemError) {
        pending.wait()
        if let failure = failing.withLock({ failure }) { throw failure }
        if alignment > 0 {
            // Every byte was written once, so every gathered block completed; the last block
            // went out whole and is cut back to the file's size.
            precondition(partial.isEmpty, "a block of the output was never completed")
            if ftruncate(fd, off_t(count)) != 0 { throw SystemError("write", path: destination) }
        }
        try file.place()
    }
}

extension ParallelOutputFile {
    /// A renderer's buffers: it renders a part into one while the other's part is written. One
    /// per thread; `commit()` reports a failed write.
    public final class Writer: @unchecked Sendable {
        private let file: ParallelOutputFile
        private let arenas = [BumpArena(), BumpArena()]
        /// Signalled when a buffer's write is done. Made at zero and signalled once, so that
        /// one dropped while its buffer is taken is no misuse to Dispatch.
        private let free = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
        private let queue = DispatchQueue(label: "dsv.output-writer")
        private var current = 1

        init(file: ParallelOutputFile) {
            self.file = file
            for semaphore in free { semaphore.signal() }
        }

        /// A window over `range` of the file, in whichever buffer is free, placed so that its
        /// whole blocks lie aligned for a direct write.
        public func window(for range: Range<Int>) -> OutputWindow {
            current ^= 1
            free[current].wait()
            let arena = arenas[current]
            arena.reset()
            let memory = arena.allocate(range.count + file.alignment).baseAddress!
            return OutputWindow(range: range, buffer: memory + file.bufferShift(for: range.lowerBound, base: memory))
        }

        /// Writes the window `window(for:)` last gave, rendered: past the page cache on this
        /// writer's thread, through it at once (a copy into the cache is no wait).
        public func write(_ window: OutputWindow) {
            let slot = current, bytes = SharedBytes(bytes: window.bytes), offset = window.range.lowerBound
            guard file.alignment > 0 else {
                file.attempt(bytes.bytes, at: offset)
                free[slot].signal()
                return
            }
            queue.async(group: file.pending) { [self] in
                file.attempt(bytes.bytes, at: offset)
                free[slot].signal()
            }
        }
    }

    /// A writer for one rendering thread.
    public func makeWriter() -> Writer { Writer(file: self) }

    /// Writes, keeping the first failure for `commit()`.
    fileprivate func attempt(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        do throws(SystemError) { try write(bytes, at: offset) } catch {
            failing.withLock { if failure == nil { failure = error } }
        }
    }
}

/// `O_DIRECT`, which Glibc's module leaves out (it is behind `_GNU_SOURCE`); its value differs
/// between architectures (asm-generic/fcntl.h, arch/arm64/include/uapi/asm/fcntl.h).
#if arch(x86_64)
private let O_DIRECT: Int32 = 0o40000
#elseif arch(arm64)
private let O_DIRECT: Int32 = 0o200000
#else
private let O_DIRECT: Int32 = 0  // unknown here: files go through the page cache
#endif
