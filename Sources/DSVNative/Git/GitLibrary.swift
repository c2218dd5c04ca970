import CGit2

/// libgit2 must be initialised once per process before any other call; `git_libgit2_init` is
/// reference counted and thread safe, and we never shut it down (the process exit does).
enum GitLibrary {
    static let initialised: Bool = {
        git_libgit2_init()
        return true
    }()

    @inline(__always) static func ensure() { _ = initialised }
}
