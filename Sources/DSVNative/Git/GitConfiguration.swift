import CGit2

/// A repository's git configuration. dsv keeps its settings under `[dsv]`.
public final class GitConfiguration: @unchecked Sendable {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_config_free(pointer) }

    /// The value of `name` (e.g. `dsv.images`), or nil when unset.
    /// The corresponding C function is `git_config_get_string_buf`.
    public func string(_ name: String) throws(GitError) -> String? {
        var buffer = git_buf()
        let code = git_config_get_string_buf(&buffer, pointer, name)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(code, "read setting \(name)")
        defer { git_buf_dispose(&buffer) }
        return String(cString: buffer.ptr)
    }

    /// Sets `name` in the repository's own configuration file.
    public func set(_ name: String, to value: String) throws(GitError) {
        try gitCheck(git_config_set_string(pointer, name, value), "write setting \(name)")
    }
}
