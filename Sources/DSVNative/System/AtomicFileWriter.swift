import Glibc

/// Writes a file under a temporary name beside its destination and renames it into place on
/// `commit()`, so the final name only ever holds a complete file. Dropping the writer without
/// committing removes the temporary file. (A destination that cannot be renamed over — the
/// standard output, a device: `OutputDestination` — gets the complete file written into it.)
public final class AtomicFileWriter: @unchecked Sendable {
    public let destination: String
    private let file: TemporaryFile
    private var fd: Int32 { file.descriptor }
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20

    public convenience init(destination: String) throws(SystemError) {
        try self.init(to: .file(destination))
    }

    /// A writer for a file the user named, which may be one written where it stands
    /// (`OutputDestination`: the standard output, a device).
    public init(to destination: OutputDestination) throws(SystemError) {
        self.destination = destination.name
        file = try TemporaryFile(for: destination)
        buffer.reserveCapacity(bufferLimit)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    public func write(_ bytes: [UInt8]) throws(SystemError) {
        try bytes.withUnsafeBytes { b in Result { () throws(SystemError) in try write(b) } }.get()
    }

    public func write(_ byte: UInt8) throws(SystemError) {
        if buffer.count >= bufferLimit { try flush() }
        buffer.append(byte)
    }

    /// Overwrites bytes already written at `offset` (a header whose fields are known last).
    public func patch(_ bytes: [UInt8], at offset: Int) throws(SystemError) {
        try flush()
        try bytes.withUnsafeBytes { b in
            Result { () throws(SystemError) in try writeAll(b, at: offset) }
        }.get()
    }

    /// Reads back everything written so far, in order, a MiB at a time (to hash a file whose
    /// header was patched; `TemporaryFile.read(from:)`).
    public func readBack(_ body: (UnsafeRawBufferPointer) -> Void) throws(SystemError) {
        try flush()
        try file.read(from: 0) { (bytes) throws(SystemError) in body(bytes) }
    }

    /// Writes what is buffered and has the kernel start putting the file's bytes on the disk,
    /// on a thread of its own, so that the `fsync` of `commit(sync:)` finds little left to
    /// write: called once the bulk of a pack is written, while the rest of a commit (its trees,
    /// dataset.json) is still being made. Nothing waits for it; a failure shows in that `fsync`.
    public func startSyncing() throws(SystemError) {
        try flush()
        let copy = dup(fd)
        guard copy >= 0 else { return }
        DetachedThread.start(idle: false) {
            _ = fdatasync(copy)
            close(copy)
        }
    }

    private func flush() throws(SystemError) {
        try buffer.withUnsafeBytes { b in Result { () throws(SystemError) in try writeAll(b) } }.get()
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) throws(SystemError) {
        try FileSystem.writeAll(bytes, to: fd, at: offset, path: destination)
    }

    /// Flushes and renames the file into place. With `sync`, the data reaches the disk before
    /// the rename, and the rename before this returns (the directory is synced too: a file's own
    /// `fsync` covers its bytes, not the entry that names it) — it survives a power cut, at a
    /// cost; without it, a crashed process still never leaves a partial file under the final name.
    public func commit(sync: Bool = false) throws(SystemError) {
        guard case .file(let path) = file.destination else {
            try flush()
            return try file.place()
        }
        try commit(as: path, sync: sync)
    }

    /// Like `commit()`, under a name known only once the content is written (e.g. a pack
    /// named by its checksum).
    /// - Parameter syncingDirectory: false when the caller syncs the directory itself, once
    ///   for several files renamed into it (a pack and its index).
    public func commit(as finalPath: String, sync: Bool = false, syncingDirectory: Bool = true) throws(SystemError) {
        try flush()
        if sync && fsync(fd) != 0 { throw SystemError("sync", path: finalPath) }
        try file.place(renamed: finalPath)
        if sync && syncingDirectory { try FileSystem.syncDirectory(FileSystem.directory(of: finalPath)) }
    }
}
