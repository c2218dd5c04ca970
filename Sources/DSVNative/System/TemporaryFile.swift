import Glibc

/// A file being written under a fresh hidden name (`FileSystem.temporaryPath(beside:)`) —
/// beside its destination, or in the temporary folder for one written where it stands
/// (`OutputDestination`) — created read-write and only if new, and registered with
/// `TemporaryFiles` so that a signal ending the process removes it. `place()` puts it at its
/// destination whole: renamed over it, or copied into it; dropped before that, it is closed and
/// removed. Either way its registration is forgotten once, when the name is no longer
/// temporary. What `AtomicFileWriter` and `ParallelOutputFile` write through, each its own way.
final class TemporaryFile {
    let destination: OutputDestination
    let path: String
    /// The open descriptor, until `close()` or `place()`; then -1.
    private(set) var descriptor: Int32
    let registration: TemporaryFiles.Registration
    private var placed = false

    convenience init(beside destination: String) throws(SystemError) {
        try self.init(for: .file(destination))
    }

    init(for destination: OutputDestination) throws(SystemError) {
        self.destination = destination
        if case .file(let file) = destination {
            path = FileSystem.temporaryPath(beside: file)
        } else {
            path = FileSystem.temporaryPath(beside: (ProcessEnvironment.value("TMPDIR") ?? "/tmp") + "/dsv-output")
        }
        // Registered before it exists: a signal between the two only finds nothing to remove.
        registration = TemporaryFiles.register(path)
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            let error = SystemError("create", path: destination.isReplaced ? destination.name : path)
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
    /// systems) as a failure to write the destination.
    func close() throws(SystemError) {
        guard descriptor >= 0 else { return }
        let closed = Glibc.close(descriptor)
        descriptor = -1
        if closed != 0 { throw SystemError("write", path: destination.name) }
    }

    /// Puts the file at its destination, which then holds it whole: renamed over a regular
    /// file (or `renamed`, a name known only now: a pack named by its checksum); copied, from
    /// its start, into one written where it stands, and then removed.
    func place(renamed: String? = nil) throws(SystemError) {
        switch destination {
        case .file(let file):
            try close()
            let name = renamed ?? file
            if rename(path, name) != 0 { throw SystemError("rename into", path: name) }
        case .descriptor, .special:
            precondition(renamed == nil, "a file written where it stands has no other name")
            try copyIntoDestination()
            try close()
            unlink(path)
        }
        placed = true
        TemporaryFiles.forget(registration)
    }

    /// The whole file, from its start, into the destination where it stands: `sendfile` (to a
    /// pipe, a terminal or a file alike), or reads and writes where it refuses (an output in
    /// append mode).
    private func copyIntoDestination() throws(SystemError) {
        let output = try destination.openInPlace()
        defer { Glibc.close(output) }
        let size = lseek(descriptor, 0, SEEK_END)
        if size < 0 { throw SystemError("read", path: destination.name) }
        var offset = off_t(0)
        while offset < size {
            let sent = sendfile(output, descriptor, &offset, min(Int(size - offset), 1 << 30))
            if sent > 0 { continue }
            if sent < 0 && errno == EINTR { continue }
            if sent < 0 && (errno == EINVAL || errno == ENOSYS) { break }
            throw SystemError("write", path: destination.name)
        }
        try read(from: Int(offset)) { (bytes) throws(SystemError) in try FileSystem.writeAll(bytes, to: output, path: destination.name) }
    }

    /// The file's bytes from `offset` to its end, in order, a MiB at a time, through a buffer
    /// no larger than what is read and left uninitialised: a MiB zeroed for a next round's
    /// half-MB pack, read back to be hashed, took 0.7 ms of page faults (a 10k-image next
    /// round's profile) on the commit's way to its branch.
    func read(from offset: Int, _ body: (UnsafeRawBufferPointer) throws(SystemError) -> Void) throws(SystemError) {
        let size = lseek(descriptor, 0, SEEK_END)
        if size < 0 { throw SystemError("read", path: destination.name) }
        guard offset < Int(size) else { return }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: min(1 << 20, Int(size) - offset), alignment: 16)
        defer { chunk.deallocate() }
        var offset = offset
        while true {
            let count = pread(descriptor, chunk.baseAddress!, chunk.count, off_t(offset))
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path: destination.name)
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            offset += count
        }
    }
}
