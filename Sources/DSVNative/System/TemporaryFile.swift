import Glibc

/// A file being written under a fresh hidden name beside its destination
/// (`FileSystem.temporaryPath(beside:)`), created read-write and only if new, and registered
/// with `TemporaryFiles` so that a signal ending the process removes it. `place(at:)` closes it
/// and renames it into place; dropped before that, it is closed and removed. Either way its
/// registration is forgotten once, when the name is no longer temporary. What
/// `AtomicFileWriter` and `ParallelOutputFile` write through, each its own way.
final class TemporaryFile {
    let path: String
    /// The open descriptor, until `close(naming:)` or `place(at:)`; then -1.
    private(set) var descriptor: Int32
    let registration: TemporaryFiles.Registration
    private var placed = false

    init(beside destination: String) throws(SystemError) {
        path = FileSystem.temporaryPath(beside: destination)
        // Registered before it exists: a signal between the two only finds nothing to remove.
        registration = TemporaryFiles.register(path)
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            let error = SystemError("create", path: destination)
            TemporaryFiles.forget(registration)
            throw error
        }
    }

    deinit {
        if descriptor >= 0 { Glibc.close(descriptor) }
        guard !placed else { return }
        unlink(path)
        TemporaryFiles.forget(registration)
    }

    /// Closes the file, reporting a write that failed late (`close` does, on some file
    /// systems) as a failure to write `destination`.
    func close(naming destination: String) throws(SystemError) {
        guard descriptor >= 0 else { return }
        let closed = Glibc.close(descriptor)
        descriptor = -1
        if closed != 0 { throw SystemError("write", path: destination) }
    }

    /// Closes the file if still open and renames it to `destination`, which then holds it whole.
    func place(at destination: String) throws(SystemError) {
        try close(naming: destination)
        if rename(path, destination) != 0 { throw SystemError("rename into", path: destination) }
        placed = true
        TemporaryFiles.forget(registration)
    }
}
