import Glibc

/// What `lstat` says about a path: its kind, size and identity. Symlinks are reported as such,
/// never followed, so that callers can refuse to write through them.
public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable { case file, directory, symlink, other }

    public var kind: Kind
    public var size: Int64
    public var device: UInt64
    public var inode: UInt64

    /// nil when nothing is at `path`; other failures (a permission denied on the way) throw.
    public static func of(_ path: String) throws(SystemError) -> FileStatus? {
        var info = stat()
        if lstat(path, &info) != 0 {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw SystemError("inspect", path: path)
        }
        let kind: Kind = switch info.st_mode & S_IFMT {
        case S_IFREG: .file
        case S_IFDIR: .directory
        case S_IFLNK: .symlink
        default: .other
        }
        return FileStatus(kind: kind, size: Int64(info.st_size), device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Both paths name the same file (a hard link).
    public func isSameFile(as other: FileStatus) -> Bool { device == other.device && inode == other.inode }
}
