import Glibc

/// A whole file mapped read-only into memory (`mmap`). The pages are the kernel's page cache, so
/// a 500 MB export costs no heap and no copy; the mapping lives as long as this object.
public final class FileMapping: @unchecked Sendable {
    public let path: String
    public let count: Int
    private let base: UnsafeMutableRawPointer?

    public init(path: String) throws(SystemError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", path: path) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw SystemError("stat", path: path) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw SystemError("read", path: path, errno: EISDIR) }
        count = Int(info.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        if mapped == MAP_FAILED { throw SystemError("map", path: path) }
        madvise(mapped, count, MADV_SEQUENTIAL)
        base = mapped
    }

    /// Anonymous memory of `count` bytes, for bytes that exist only decoded (an entry of a zip
    /// archive), named `path` for messages. Fill it through `writableBytes`, then `seal()` it.
    public init(anonymous path: String, count: Int) throws(SystemError) {
        self.path = path
        self.count = count
        guard count > 0 else {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else { throw SystemError("allocate memory for", path: path) }
        base = mapped
    }

    /// The bytes of an anonymous mapping before `seal()`.
    public var writableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    /// Makes an anonymous mapping read-only, like a file's.
    public func seal() { if let base { mprotect(base, count, PROT_READ) } }

    deinit { if let base { munmap(base, count) } }

    /// The file's bytes; valid while this object is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}
