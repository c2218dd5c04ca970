import Glibc

/// A failed system call on a path: the call, the path, and `strerror(errno)`.
public struct SystemError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let path: String
    public let errno: Int32

    public init(_ operation: String, path: String, errno: Int32 = Glibc.errno) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var isNotFound: Bool { errno == ENOENT }
    /// Codes for errors found by inspection rather than by a failed call.
    public static let notADirectory = ENOTDIR
    public static let fileExists = EEXIST
    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { "cannot \(operation) \(path): \(reason)" }
}
