import Glibc

/// A file of known size that several threads fill, each its own parts by offset (`pwrite`,
/// one at a time), under a temporary name beside its destination and renamed into place on
/// `commit()`. The blocks are reserved up front (`posix_fallocate`), so a full disk shows at
/// once, not after most of the work.
///
/// Why not a shared mapping: a store through a fresh mapping of a file faults each page in,
/// and the kernel zero-fills it first (ext4 reads the reserved blocks as zeros), then writes it
/// back; a writer rendering into a small buffer of its own and handing it to `pwrite` touches
/// the page cache once, with whole pages, and keeps the memory bounded at any size.
public final class ParallelOutputFile: @unchecked Sendable {
    public let destination: String
    public let temporaryPath: String
    public let count: Int
    private var fd: Int32
    private var committed = false
    /// A buffered write holds the file's inode lock anyway (ext4, xfs): a second writer would
    /// spin on it, burning the core the renderers share; this lock makes it wait asleep.
    private let writing = Lock()

    public init(destination: String, count: Int) throws(SystemError) {
        self.destination = destination
        self.count = count
        temporaryPath = FileSystem.temporaryPath(beside: destination)
        fd = open(temporaryPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("create", path: destination) }
        guard count > 0 else { return }
        let reserved = posix_fallocate(fd, 0, off_t(count))
        if reserved != 0 { throw SystemError("write", path: destination, errno: reserved) }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    /// Writes `bytes` at `offset`; safe from several threads at disjoint offsets.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(SystemError) {
        precondition(offset >= 0 && offset + bytes.count <= count, "write past the file's size")
        try writing.withLock { () throws(SystemError) in try FileSystem.writeAll(bytes, to: fd, at: offset, path: destination) }
    }

    /// Closes and renames the file into place.
    public func commit() throws(SystemError) {
        if close(fd) != 0 { fd = -1; throw SystemError("write", path: destination) }
        fd = -1
        if rename(temporaryPath, destination) != 0 { throw SystemError("rename into", path: destination) }
        committed = true
    }
}
