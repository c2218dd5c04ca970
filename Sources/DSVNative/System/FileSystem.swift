import Glibc

/// Small path and file helpers on top of Glibc, so that layers above never call it directly.
public enum FileSystem {
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The absolute form of `path`, with symlinks resolved (`realpath`), or nil if it does not exist.
    public static func resolved(_ path: String) -> String? {
        guard let result = realpath(path, nil) else { return nil }
        defer { free(result) }
        return String(cString: result)
    }

    public static var currentDirectory: String {
        guard let cwd = getcwd(nil, 0) else { return "." }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// `mkdir -p`.
    public static func createDirectories(_ path: String) throws(SystemError) {
        if isDirectory(path) { return }
        let parent = directory(of: path)
        if parent != path && !parent.isEmpty && parent != "." { try createDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw SystemError("create directory", path: path) }
    }

    /// Reads a whole (small) file.
    public static func read(_ path: String) throws(SystemError) -> [UInt8] {
        let mapping = try FileMapping(path: path)
        return Array(mapping.bytes)
    }

    /// The login name and host name, for a commit author of last resort.
    public static var loginAndHost: (login: String, host: String) {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, 255)
        let login = getenv("USER").map { String(cString: $0) }
            ?? getpwuid(getuid()).map { String(cString: $0.pointee.pw_name) } ?? "dsv"
        let name = host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return (login, String(decoding: name, as: UTF8.self))
    }
}

extension FileSystem {
    /// Writes a whole (small) file, replacing what was there. Not atomic: for scratch files.
    public static func write(_ bytes: [UInt8], to path: String) throws(SystemError) {
        try write(bytes, to: path, flags: O_TRUNC, failing: "create")
    }

    /// Appends bytes to a file, creating it if needed (`O_APPEND`: concurrent appends of whole
    /// entries do not interleave).
    public static func append(_ bytes: [UInt8], to path: String) throws(SystemError) {
        try write(bytes, to: path, flags: O_APPEND, failing: "open")
    }

    private static func write(_ bytes: [UInt8], to path: String, flags: Int32, failing operation: String) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0o644)
        if fd < 0 { throw SystemError(operation, path: path) }
        defer { close(fd) }
        try bytes.withUnsafeBytes { bytes in Result { () throws(SystemError) in try writeAll(bytes, to: fd, path: path) } }.get()
    }

    /// Writes every byte to an open file, through partial writes and interruptions: at the
    /// file's position, or at `position` (`pwrite`, leaving the file's position alone); `path`
    /// names the file in the error.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to fd: Int32, at position: Int? = nil,
                                path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let start = bytes.baseAddress! + offset, remaining = bytes.count - offset
            let count = position.map { pwrite(fd, start, remaining, off_t($0 + offset)) } ?? Glibc.write(fd, start, remaining)
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: path)
            }
            offset += count
        }
    }

    /// A fresh name for a file being written beside `destination`, hidden and unique to this
    /// process, to be renamed over it once complete.
    public static func temporaryPath(beside destination: String) -> String {
        directory(of: destination) + "/." + lastComponent(of: destination)
            + ".dsv-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Makes the names renamed into `directory` so far reach the disk.
    public static func syncDirectory(_ directory: String) throws(SystemError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", path: directory) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw SystemError("sync", path: directory) }
    }

    /// The process that made a file name by `temporaryPath(beside:)`, or nil for any other name:
    /// once it is gone, so is any use of the file.
    public static func temporaryOwner(_ name: String) -> Int32? {
        guard name.hasPrefix("."), let marker = name.firstRange(of: ".dsv-tmp-") else { return nil }
        return Int32(name[marker.upperBound...].prefix { $0 != "-" })
    }

    /// Removes the files of `directory` that `temporaryPath(beside:)` named for processes no
    /// longer running: what one killed as it wrote them left behind.
    public static func removeAbandonedTemporaries(in directory: String) {
        for name in entries(of: directory) {
            if let owner = temporaryOwner(name), !ProcessEnvironment.isAlive(owner) { remove(directory + "/" + name) }
        }
    }
}

extension FileSystem {
    /// A file's size in bytes, or 0 when it cannot be read.
    public static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
