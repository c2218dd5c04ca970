import Glibc

/// Where a file a user names (`checkout -o FILE`, `diff --html FILE`) goes. A regular file, new
/// or replaced, is written beside its destination and renamed over it, so that its name never
/// holds a partial file. What is not a regular file cannot be renamed over: `-o /dev/stdout` did
/// that to the link in /dev (as root), leaving a file in its place and nothing on the terminal.
/// So the standard output (`-`), an open descriptor named as a file (`/dev/stdout`, `/dev/fd/3`),
/// a device and a FIFO are written where they stand, in order, once the whole file is made
/// (`TemporaryFile`, in the temporary folder).
public enum OutputDestination: Sendable, Equatable {
    /// A regular file, new or replaced: written beside it and renamed over it.
    case file(String)
    /// One of this process's open descriptors, written through a copy of it, so that its
    /// position and append mode hold (`>>` appends). `name` is what the user gave.
    case descriptor(Int32, name: String)
    /// A device or a FIFO: opened for writing and written in place.
    case special(String)

    /// The destination `path` names; `-` is the standard output.
    public static func named(_ path: String) -> OutputDestination {
        if path == "-" || path == "/dev/stdout" { return .descriptor(STDOUT_FILENO, name: path) }
        if path == "/dev/stderr" { return .descriptor(STDERR_FILENO, name: path) }
        if let number = Int32(FileSystem.lastComponent(of: path)), fcntl(number, F_GETFD) >= 0,
           let folder = FileSystem.resolved(FileSystem.directory(of: path)), folder == "/proc/\(getpid())/fd" {
            return .descriptor(number, name: path)
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG, info.st_mode & S_IFMT != S_IFDIR { return .special(path) }
        return .file(path)
    }

    /// How messages name it.
    public var name: String {
        switch self {
        case .file(let path), .special(let path): path
        case .descriptor(_, let name): name == "-" ? "standard output" : name
        }
    }

    /// Whether the file goes to the standard output, where nothing else may then be printed.
    public var isStandardOutput: Bool {
        if case .descriptor(STDOUT_FILENO, _) = self { return true }
        return false
    }

    /// Whether the file is renamed into place (rather than written where it stands).
    public var isReplaced: Bool {
        if case .file = self { return true }
        return false
    }

    /// Opens the destination to be written where it stands: a copy of the descriptor, or the
    /// special file opened for writing (never created: it exists).
    func openInPlace() throws(SystemError) -> Int32 {
        let fd: Int32
        switch self {
        case .file(let path): preconditionFailure("\(path) is renamed into place")
        case .descriptor(let number, _): fd = fcntl(number, F_DUPFD_CLOEXEC, 0)
        case .special(let path): fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY)
        }
        if fd < 0 { throw SystemError("open", path: name) }
        return fd
    }
}
