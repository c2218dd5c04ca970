import CGit2

/// A failed libgit2 call: its return code, libgit2's own message, and what we were doing.
public struct GitError: Error, CustomStringConvertible, Sendable {
    /// libgit2's error code (`git_error_code`), e.g. `GIT_ENOTFOUND` or `GIT_EMODIFIED`.
    public let code: Int32
    public let message: String
    public let operation: String

    public var isNotFound: Bool { code == GIT_ENOTFOUND.rawValue }
    /// The reference moved under us (a compare-and-swap lost the race) or a lock file exists.
    public var isConcurrentModification: Bool { code == GIT_EMODIFIED.rawValue || code == GIT_ELOCKED.rawValue }
    /// The reference's lock file exists: another process is rewriting it.
    public var isLocked: Bool { code == GIT_ELOCKED.rawValue }
    public var isAmbiguous: Bool { code == GIT_EAMBIGUOUS.rawValue }
    /// A name or revision git's syntax does not allow (`HEAD..nope`, where one revision is asked for).
    public var isInvalidSpec: Bool { code == GIT_EINVALIDSPEC.rawValue }
    /// The remote could not be reached, refused us, or broke off: a network failure.
    public var isNetwork: Bool {
        code == GIT_EAUTH.rawValue || code == GIT_ECERTIFICATE.rawValue
            || (git_error_last()?.pointee.klass).map { Int($0) == Int(GIT_ERROR_NET.rawValue) || Int($0) == Int(GIT_ERROR_SSH.rawValue) || Int($0) == Int(GIT_ERROR_HTTP.rawValue) } ?? false
    }
    /// A push that would lose the remote's history.
    public var isNonFastForward: Bool { code == GIT_ENONFASTFORWARD.rawValue }

    public var description: String { "\(operation): \(message)" }

    init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
        if let last = git_error_last(), let text = last.pointee.message {
            message = String(cString: text).trimmingTrailingNewlines()
        } else {
            message = "libgit2 error \(code)"
        }
    }
}

/// Turns a libgit2 return code into a thrown `GitError` at once.
@inline(__always)
func gitCheck(_ code: Int32, _ operation: @autoclosure () -> String) throws(GitError) {
    if code < 0 { throw GitError(code: code, operation: operation()) }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while let last = s.last, last == "\n" || last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
