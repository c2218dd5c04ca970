import Glibc

/// An exclusive advisory lock on a file (`flock`). The kernel releases it when the process dies,
/// so a killed writer never leaves a stale lock behind.
public final class FileLock: @unchecked Sendable {
    private let fd: Int32
    public let path: String

    /// Takes the lock without waiting; returns nil when another process holds it.
    public static func tryAcquire(path: String) throws(SystemError) -> FileLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("open lock file", path: path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            close(fd)
            if error == EWOULDBLOCK { return nil }
            throw SystemError("lock", path: path, errno: error)
        }
        return FileLock(fd: fd, path: path)
    }

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    private var released = false

    /// Releases the lock now rather than when the object goes away.
    public func release() {
        guard !released else { return }
        released = true
        flock(fd, LOCK_UN)
        close(fd)
    }

    deinit { release() }
}
