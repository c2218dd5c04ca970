import Glibc

extension FileSystem {
    /// Creates one directory; an existing one is fine.
    public static func makeDirectory(_ path: String) throws(SystemError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw SystemError("create directory", path: path) }
    }

    /// A hard link `to` → the file at `from`. False when the two are on different file
    /// systems (or the file system has no hard links): the caller copies instead.
    public static func hardLink(from: String, to: String) throws(SystemError) -> Bool {
        if link(from, to) == 0 { return true }
        if errno == EXDEV || errno == EPERM || errno == EMLINK || errno == ENOTSUP { return false }
        throw SystemError("link", path: to)
    }

    /// Renames within one file system: atomic, replacing what `to` named.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename to", path: to) }
    }

    /// Removes a file; a missing one is fine.
    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Copies a file's bytes into a new file.
    public static func copyFile(from: String, to: String) throws(SystemError) {
        let source = open(from, O_RDONLY | O_CLOEXEC)
        if source < 0 { throw SystemError("open", path: from) }
        defer { close(source) }
        let target = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if target < 0 { throw SystemError("create", path: to) }
        var failure: SystemError?
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = Glibc.read(source, &buffer, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                failure = SystemError("read", path: from)
                break
            }
            let written = buffer.withUnsafeBytes { bytes in
                Result { () throws(SystemError) in try writeAll(UnsafeRawBufferPointer(rebasing: bytes[..<count]), to: target, path: to) }
            }
            if case .failure(let error) = written {
                failure = error
                break
            }
        }
        if close(target) != 0 && failure == nil { failure = SystemError("write", path: to) }
        if let failure {
            unlink(to)
            throw failure
        }
    }

    /// Removes a file or a folder with everything in it (`rm -rf`); symlinks are removed, not
    /// followed. For cleaning up what a failed operation created.
    public static func removeTree(_ path: String) {
        guard let status = try? FileStatus.of(path) else { return }
        if status.kind == .directory {
            for name in entries(of: path) { removeTree(path + "/" + name) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// The names in a directory (without `.` and `..`); empty when it cannot be read.
    public static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

extension ProcessEnvironment {
    /// This process's id.
    public static var processID: Int32 { getpid() }

    /// Whether a process with this id is running (a stale temporary file's owner is not).
    public static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
