import Glibc

/// A whole file mapped read-only into memory (`mmap`). The pages are the kernel's page cache, so
/// a 500 MB export costs no heap and no copy; the mapping lives as long as this object. What has
/// no size to map — a pipe (`cat export.json | dsv commit /dev/stdin`, `<(unzip -p …)`), a
/// terminal — is read to its end into anonymous memory instead.
public final class FileMapping: @unchecked Sendable {
    public let path: String
    public private(set) var count: Int
    /// Whether the bytes come from a file (else from anonymous memory: they exist nowhere else).
    public let isFile: Bool
    /// The ranges `evict` was asked for.
    private var evicted: [Range<Int>] = []
    private let evictedLock = Lock()
    /// The bytes mapped (`count` may be cut down below it by `seal(keeping:)`).
    private var mapped: Int
    private let base: UnsafeMutableRawPointer?

    /// - Parameter sequential: whether the bytes will be read from start to end (an export),
    ///   which the kernel reads ahead for; false for lookups here and there (a pack).
    public init(path: String, sequential: Bool = true) throws(SystemError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", path: path) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw SystemError("stat", path: path) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw SystemError("read", path: path, errno: EISDIR) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            isFile = false
            (base, count, mapped) = try Self.readToEnd(fd, path: path)
            return
        }
        isFile = true
        count = Int(info.st_size)
        mapped = count
        if count == 0 {
            base = nil
            return
        }
        let mapping = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        if mapping == MAP_FAILED { throw SystemError("map", path: path) }
        if sequential { madvise(mapping, count, MADV_SEQUENTIAL) }
        base = mapping
    }

    /// Reads `fd` to its end into an anonymous mapping, doubled as it fills, sealed read-only:
    /// its start, the bytes read and the bytes mapped.
    private static func readToEnd(_ fd: Int32, path: String) throws(SystemError) -> (UnsafeMutableRawPointer?, Int, Int) {
        var capacity = 1 << 20, count = 0
        var buffer = try mapAnonymous(capacity, for: path)
        while true {
            if count == capacity {
                let larger: UnsafeMutableRawPointer
                do { larger = try mapAnonymous(2 * capacity, for: path) } catch { munmap(buffer, capacity); throw error }
                larger.copyMemory(from: buffer, byteCount: count)
                munmap(buffer, capacity)
                (buffer, capacity) = (larger, 2 * capacity)
            }
            let read = Glibc.read(fd, buffer + count, capacity - count)
            if read < 0 && errno == EINTR { continue }
            if read < 0 {
                let error = SystemError("read", path: path)
                munmap(buffer, capacity)
                throw error
            }
            if read == 0 { break }
            count += read
        }
        if count == 0 {
            munmap(buffer, capacity)
            return (nil, 0, 0)
        }
        mprotect(buffer, capacity, PROT_READ)
        return (buffer, count, capacity)
    }

    /// Anonymous memory of `count` bytes, for bytes that exist only decoded (an entry of a zip
    /// archive, a minified array), named `path` for messages. Fill it through `writableBytes`,
    /// then `seal()` it. Pages never written cost no memory.
    public init(anonymous path: String, count: Int) throws(SystemError) {
        self.path = path
        self.count = count
        isFile = false
        mapped = count
        guard count > 0 else {
            base = nil
            return
        }
        base = try Self.mapAnonymous(count, for: path)
    }

    /// `size` bytes of anonymous, writable memory, for the bytes of `path`.
    private static func mapAnonymous(_ size: Int, for path: String) throws(SystemError) -> UnsafeMutableRawPointer {
        let mapping = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapping, mapping != MAP_FAILED else { throw SystemError("allocate memory for", path: path) }
        return mapping
    }

    /// The bytes of an anonymous mapping before `seal()`.
    public var writableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    /// Makes an anonymous mapping read-only, like a file's; with `kept`, only its first `kept`
    /// bytes remain (when it was sized for the most it could have needed).
    public func seal(keeping kept: Int? = nil) {
        guard let base else { return }
        if let kept {
            precondition(kept <= count, "keeping more than was mapped")
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let keptPages = (kept + page - 1) / page * page
            if keptPages < mapped {
                munmap(base + keptPages, mapped - keptPages)
                mapped = keptPages
            }
            count = kept
        }
        if mapped > 0 { mprotect(base, mapped, PROT_READ) }
    }

    deinit { if let base, mapped > 0 { munmap(base, mapped) } }

    /// Gives back the memory behind `range` (its start page-aligned): the bytes must never be read
    /// again. A file's pages stay in the page cache and are only unmapped; an anonymous
    /// mapping's are freed. Done for bytes a caller has finished with while it waits for other
    /// work, so that the process does not unmap them all on its way out.
    public func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty, range.upperBound <= count else { return }
        madvise(base + range.lowerBound, range.count, MADV_DONTNEED)
    }

    /// For anonymous memory about to be written, maps in the whole pages within `range`
    /// (clamped to the mapping) at once, `MADV_POPULATE_WRITE`, rather than a page fault each as
    /// they are written. Does nothing to a file's mapping. On this project's virtual machine a
    /// fault cost 1.4 µs a page and a population 1.05 (400 MB: 146 ms against 107, of which
    /// zeroing is 15). Worth it for hundreds of megabytes written straight through (a minified
    /// copy); not a few megabytes at a time ahead of a decompressor, whose pages then leave the
    /// CPU's caches before they are written (a 10k-image checkout took 3 ms longer with its
    /// arenas populated 2 MB ahead, the same 256 KB ahead). A kernel without the call (before
    /// Linux 5.14) faults the pages in as they are written.
    public func populate(_ range: Range<Int>) {
        guard !isFile, let base, range.lowerBound < mapped else { return }
        MemoryPages.populateForWriting(UnsafeMutableRawBufferPointer(start: base + range.lowerBound,
                                                                     count: min(mapped, range.upperBound) - range.lowerBound))
    }

    /// For a file's mapping, unmaps the whole pages within `range`: they stay in the page cache,
    /// and are mapped again should anything read them, so nothing is lost — only the process's
    /// memory shrinks. Does nothing to anonymous memory (its bytes exist nowhere else). The range
    /// is remembered, for a second reader of the same bytes (`evictAgain`).
    public func evict(_ range: Range<Int>) {
        guard isFile, range.upperBound <= count else { return }
        evictedLock.withLock {
            // A reader evicts a growing range from one start: one entry per reader.
            if let index = evicted.firstIndex(where: { $0.lowerBound == range.lowerBound }) {
                evicted[index] = range.lowerBound..<max(range.upperBound, evicted[index].upperBound)
            } else {
                evicted.append(range)
            }
        }
        unmapPages(range)
    }

    /// Evicts again what of `range` was evicted before: for a second reader (the background
    /// SHA-256) that mapped those pages back by reading them after the first let them go.
    public func evictAgain(within range: Range<Int>) {
        guard isFile else { return }
        let overlaps = evictedLock.withLock {
            evicted.compactMap { done in done.overlaps(range) ? done.clamped(to: range) : nil }
        }
        overlaps.forEach(unmapPages)
    }

    private func unmapPages(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        MemoryPages.release(UnsafeMutableRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    /// The file's bytes; valid while this object is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
