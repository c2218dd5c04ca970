import Glibc

/// Writes a file under a temporary name beside its destination and renames it into place on
/// `commit()`, so the final name only ever holds a complete file. Dropping the writer without
/// committing removes the temporary file.
public final class AtomicFileWriter: @unchecked Sendable {
    public let destination: String
    public let temporaryPath: String
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20
    private var committed = false

    public init(destination: String) throws(SystemError) {
        self.destination = destination
        let directory = FileSystem.directory(of: destination)
        let name = FileSystem.lastComponent(of: destination)
        temporaryPath = directory + "/." + name + ".dsv-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 { throw SystemError("create", path: temporaryPath) }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(temporaryPath) }
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

    private func flush() throws(SystemError) {
        try buffer.withUnsafeBytes { b in Result { () throws(SystemError) in try writeAll(b) } }.get()
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path: destination)
            }
            offset += n
        }
    }

    /// Flushes, syncs and renames the file into place.
    public func commit() throws(SystemError) {
        try flush()
        if fsync(fd) != 0 { throw SystemError("sync", path: destination) }
        close(fd)
        fd = -1
        if rename(temporaryPath, destination) != 0 { throw SystemError("rename into", path: destination) }
        committed = true
    }
}

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
        return (login, String(cString: host))
    }
}
