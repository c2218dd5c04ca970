import CGit2
import Glibc

/// A named remote of a repository and its URL.
public struct GitRemoteInfo: Sendable, Equatable {
    public var name: String
    public var url: String
    public var pushURL: String?

    /// The URLs fit to print (a password in one becomes `***`).
    public var printableURL: String { GitRepository.redactedURL(url) }
    public var printablePushURL: String { GitRepository.redactedURL(pushURL ?? url) }
}

/// How far a fetch or push has come, for a progress line.
public struct GitTransferProgress: Sendable {
    public enum Phase: Sendable { case receiving, indexing, sending }
    public var phase: Phase
    public var done: Int
    public var total: Int
    public var bytes: Int
}

/// Remotes, fetch, push and clone through libgit2 — every transport libgit2 offers (`file://`
/// and paths, `git://`, `https://`, `ssh://`), with credentials from `GitCredentials`.
/// The corresponding C functions are `git_remote_create`, `git_remote_lookup`,
/// `git_remote_list`, `git_remote_fetch`, `git_remote_push`, `git_remote_ls` and `git_clone`.
extension GitRepository {
    public func remotes() throws(GitError) -> [GitRemoteInfo] {
        var names = git_strarray()
        try gitCheck(git_remote_list(&names, pointer), "list remotes")
        defer { git_strarray_dispose(&names) }
        var result: [GitRemoteInfo] = []
        for index in 0..<names.count {
            guard let raw = names.strings[index] else { continue }
            let remote = try lookupRemote(String(cString: raw))
            defer { git_remote_free(remote) }
            result.append(GitRemoteInfo(name: String(cString: raw), url: String(cString: git_remote_url(remote)),
                                        pushURL: git_remote_pushurl(remote).map { String(cString: $0) }))
        }
        return result
    }

    public func addRemote(name: String, url: String) throws(GitError) {
        var remote: OpaquePointer?
        try gitCheck(git_remote_create(&remote, pointer, name, url), "add remote '\(name)'")
        git_remote_free(remote)
    }

    /// A URL fit to print: a password in it becomes `***`.
    public static func redactedURL(_ url: String) -> String { GitCredentialStore.redacted(url) }

    public static func isValidRemoteName(_ name: String) -> Bool {
        GitLibrary.ensure()
        var valid: Int32 = 0
        return git_remote_name_is_valid(&valid, name) == 0 && valid == 1
    }

    func lookupRemote(_ name: String) throws(GitError) -> OpaquePointer {
        var remote: OpaquePointer?
        try gitCheck(git_remote_lookup(&remote, pointer, name), "remote '\(name)'")
        return remote!
    }

    /// The references a remote advertises (`git ls-remote`): name → id.
    public func remoteReferences(_ name: String, progress: ((GitTransferProgress) -> Void)? = nil) throws(GitError) -> [String: GitObjectID] {
        var result: [String: GitObjectID] = [:]
        try transfer(with: name, progress: progress, operation: "connect to '\(name)'") { remote, context in
            var callbacks = git_remote_callbacks()
            git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION))
            context.install(in: &callbacks)
            let connected = git_remote_connect(remote, GIT_DIRECTION_FETCH, &callbacks, nil, nil)
            guard connected == 0 else { return connected }
            defer { git_remote_disconnect(remote) }
            var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
            var count = 0
            let listed = git_remote_ls(&heads, &count, remote)
            for index in 0..<(listed == 0 ? count : 0) {
                guard let head = heads?[index]?.pointee else { continue }
                result[String(cString: head.name)] = GitObjectID(head.oid)
            }
            return listed
        }
        return result
    }

    /// Fetches `refspecs` (the remote's configured ones when empty) and the tags that point
    /// into what was fetched.
    public func fetch(remote name: String, refspecs: [String] = [],
                      progress: ((GitTransferProgress) -> Void)? = nil) throws(GitError) {
        try transfer(with: name, progress: progress, operation: "fetch from '\(name)'") { remote, context in
            var options = git_fetch_options()
            git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
            context.install(in: &options.callbacks)
            return withStringArray(refspecs) { git_remote_fetch(remote, $0, &options, "dsv pull") }
        }
    }

    /// Pushes `refspecs` (`+` in front forces one). A reference the remote refuses is thrown,
    /// with the remote's reason.
    public func push(remote name: String, refspecs: [String],
                     progress: ((GitTransferProgress) -> Void)? = nil) throws(GitError) {
        let context = try transfer(with: name, progress: progress, operation: "push to '\(name)'") { remote, context in
            var options = git_push_options()
            git_push_options_init(&options, UInt32(GIT_PUSH_OPTIONS_VERSION))
            context.install(in: &options.callbacks)
            return withStringArray(refspecs) { git_remote_push(remote, $0, &options) }
        }
        if let (reference, status) = context.rejected.first {
            throw GitError(code: GIT_ENONFASTFORWARD.rawValue, operation: "push to '\(name)'",
                           message: "the remote refused \(reference): \(status)")
        }
    }

    /// Runs one libgit2 call on the named remote with a transfer context for its callbacks,
    /// alive for the whole call; a failure is thrown with what the context learned.
    @discardableResult
    private func transfer(with name: String, progress: ((GitTransferProgress) -> Void)?, operation: String,
                          _ body: (OpaquePointer, GitTransferContext) -> Int32) throws(GitError) -> GitTransferContext {
        let remote = try lookupRemote(name)
        defer { git_remote_free(remote) }
        let context = GitTransferContext(url: String(cString: git_remote_url(remote)), progress: progress)
        let code = withExtendedLifetime(context) { body(remote, context) }
        try context.check(code, operation)
        return context
    }

    /// Clones `url` into a new bare repository at `path`; its remote is `origin`.
    public static func cloneBare(from url: String, to path: String,
                                 progress: ((GitTransferProgress) -> Void)? = nil) throws(GitError) -> GitRepository {
        GitLibrary.ensure()
        let context = GitTransferContext(url: url, progress: progress)
        var options = git_clone_options()
        git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION))
        options.bare = 1
        options.fetch_opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        context.install(in: &options.fetch_opts.callbacks)
        var out: OpaquePointer?
        let code = withExtendedLifetime(context) { git_clone(&out, url, path, &options) }
        try context.check(code, "clone \(url)")
        return GitRepository(wrapping: out!)
    }

    /// Whether `commit` has `ancestor` in its history (a fast-forward from `ancestor`).
    public func isDescendant(_ commit: GitObjectID, of ancestor: GitObjectID) throws(GitError) -> Bool {
        if commit == ancestor { return true }
        var a = commit.raw, b = ancestor.raw
        let code = git_graph_descendant_of(pointer, &a, &b)
        try gitCheck(code, "compare histories")
        return code == 1
    }
}

/// Calls `body` with a `git_strarray` over `strings` (valid only during the call).
func withStringArray<T>(_ strings: [String], _ body: (UnsafePointer<git_strarray>) -> T) -> T {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeMutableBufferPointer { buffer in
        var array = git_strarray(strings: buffer.baseAddress, count: strings.count)
        return body(&array)
    }
}
