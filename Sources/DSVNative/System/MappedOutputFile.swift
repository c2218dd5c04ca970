import Glibc

/// A file of known size written through a shared memory mapping, so that several threads can
/// fill their parts at once, under a temporary name beside its destination and renamed into
/// place on `commit()`. The blocks are reserved up front (`posix_fallocate`), so a full disk is
/// an error here, not a SIGBUS while writing.
public final class MappedOutputFile: @unchecked Sendable {
    public let destination: String
    public let temporaryPath: String
    public let count: Int
    private var fd: Int32
    private var base: UnsafeMutableRawPointer?
    private var committed = false

    public init(destination: String, count: Int) throws(SystemError) {
        self.destination = destination
        self.count = count
        temporaryPath = FileSystem.temporaryPath(beside: destination)
        fd = open(temporaryPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("create", path: destination) }
        guard count > 0 else { return }
        let reserved = posix_fallocate(fd, 0, off_t(count))
        if reserved != 0 { throw SystemError("write", path: destination, errno: reserved) }
        let mapped = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        if mapped == MAP_FAILED { throw SystemError("map", path: destination) }
        base = mapped
    }

    deinit {
        if let base { munmap(base, count) }
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
    }

    /// The file's bytes, to fill.
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

    /// Unmaps, closes and renames the file into place.
    public func commit() throws(SystemError) {
        if let base { munmap(base, count) }
        base = nil
        if close(fd) != 0 { fd = -1; throw SystemError("write", path: destination) }
        fd = -1
        if rename(temporaryPath, destination) != 0 { throw SystemError("rename into", path: destination) }
        committed = true
    }
}
