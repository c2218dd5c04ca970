import CGit2

/// A libgit2 repository handle. dsv keeps its history in a bare repository (`DIR/.dsv`), so
/// there is no work tree: every object is written and read through the object database.
///
/// The handle is not shared between threads; callers that read in parallel read blobs first.
public final class GitRepository: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) { self.pointer = pointer }
    convenience init(wrapping pointer: OpaquePointer) { self.init(pointer: pointer) }
    deinit { git_repository_free(pointer) }

    /// Creates a bare repository at `path` whose HEAD points at `refs/heads/<initialBranch>`.
    /// The corresponding C function is `git_repository_init_ext`.
    public static func createBare(at path: String, initialBranch: String) throws(GitError) -> GitRepository {
        GitLibrary.ensure()
        var options = git_repository_init_options()
        try gitCheck(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                     "init options")
        options.flags = GIT_REPOSITORY_INIT_BARE.rawValue | GIT_REPOSITORY_INIT_MKPATH.rawValue
        var out: OpaquePointer?
        let code = initialBranch.withCString { branch -> Int32 in
            options.initial_head = branch
            return git_repository_init_ext(&out, path, &options)
        }
        try gitCheck(code, "initialise repository at \(path)")
        return GitRepository(pointer: out!)
    }

    /// Opens the bare repository at `path` exactly (no search upwards).
    public static func open(at path: String) throws(GitError) -> GitRepository {
        GitLibrary.ensure()
        var out: OpaquePointer?
        try gitCheck(git_repository_open_bare(&out, path), "open repository at \(path)")
        return GitRepository(pointer: out!)
    }

    /// The repository's git directory, with a trailing slash as libgit2 reports it.
    public var path: String { String(cString: git_repository_path(pointer)) }

    // MARK: Revisions and references

    /// Resolves a revision in git's syntax (`HEAD~1`, a tag, a short id) to a commit id.
    /// The corresponding C functions are `git_revparse_single` and `git_object_peel`.
    public func resolveCommit(_ revision: String) throws(GitError) -> GitObjectID {
        var object: OpaquePointer?
        try gitCheck(git_revparse_single(&object, pointer, revision), "resolve revision '\(revision)'")
        defer { git_object_free(object) }
        var commit: OpaquePointer?
        try gitCheck(git_object_peel(&commit, object, GIT_OBJECT_COMMIT), "'\(revision)' is not a commit")
        defer { git_object_free(commit) }
        return GitObjectID(git_object_id(commit).pointee)
    }

    /// The best common ancestor of two commits (`git merge-base`), or nil when their histories
    /// never meet — what `A...B` compares from.
    public func mergeBase(_ a: GitObjectID, _ b: GitObjectID) throws(GitError) -> GitObjectID? {
        var base = git_oid(), one = a.raw, two = b.raw
        let code = git_merge_base(&base, pointer, &one, &two)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(code, "find the merge base of \(a.short) and \(b.short)")
        return GitObjectID(base)
    }

    /// The id a reference points at, or nil when the reference does not exist (an unborn branch).
    public func referenceTarget(_ name: String) throws(GitError) -> GitObjectID? {
        var oid = git_oid()
        let code = git_reference_name_to_id(&oid, pointer, name)
        if code == GIT_ENOTFOUND.rawValue { return nil }
        try gitCheck(code, "read reference \(name)")
        return GitObjectID(oid)
    }

    /// The full name of the branch HEAD points at (`refs/heads/main`), born or not.
    public func headBranch() throws(GitError) -> String {
        var ref: OpaquePointer?
        try gitCheck(git_reference_lookup(&ref, pointer, "HEAD"), "read HEAD")
        defer { git_reference_free(ref) }
        guard let target = git_reference_symbolic_target(ref) else {
            throw GitError(code: GIT_EINVALID.rawValue, operation: "HEAD is detached")
        }
        return String(cString: target)
    }

    /// Moves (or creates) a reference with compare-and-swap: it succeeds only if the reference
    /// still points at `expected` (or, with `expected == nil`, does not exist yet). A lost race
    /// throws a `GitError` whose `isConcurrentModification` is true and changes nothing.
    public func updateReference(_ name: String, to target: GitObjectID, expecting expected: GitObjectID?,
                                message: String) throws(GitError) {
        var out: OpaquePointer?
        var newID = target.raw
        let code: Int32
        if var old = expected?.raw {
            code = git_reference_create_matching(&out, pointer, name, &newID, 1, &old, message)
        } else {
            code = git_reference_create(&out, pointer, name, &newID, 0, message)
            if code == GIT_EEXISTS.rawValue {
                throw GitError(code: GIT_EMODIFIED.rawValue, operation: "update \(name)")
            }
        }
        try gitCheck(code, "update \(name)")
        git_reference_free(out)
    }

    /// Points HEAD at a branch (`refs/heads/main`), born or not.
    /// The corresponding C function is `git_repository_set_head`.
    public func setHead(_ branch: String) throws(GitError) {
        try gitCheck(git_repository_set_head(pointer, branch), "set HEAD to \(branch)")
    }

    /// Names of the references matching a glob, e.g. `refs/tags/*`, sorted.
    public func referenceNames(matching glob: String) throws(GitError) -> [String] {
        var iterator: OpaquePointer?
        try gitCheck(git_reference_iterator_glob_new(&iterator, pointer, glob), "list references \(glob)")
        defer { git_reference_iterator_free(iterator) }
        var names: [String] = []
        var name: UnsafePointer<CChar>?
        while git_reference_next_name(&name, iterator) == 0, let name {
            names.append(String(cString: name))
        }
        return names.sorted()
    }

    /// Whether `name` is a valid reference name (`refs/tags/round 7` is not).
    public static func isValidReferenceName(_ name: String) -> Bool {
        GitLibrary.ensure()
        var valid: Int32 = 0
        return git_reference_name_is_valid(&valid, name) == 0 && valid == 1
    }

    // MARK: Objects

    /// The object database of this repository.
    public func objectDatabase() throws(GitError) -> GitObjectDatabase {
        var odb: OpaquePointer?
        try gitCheck(git_repository_odb(&odb, pointer), "open object database")
        return GitObjectDatabase(pointer: odb!)
    }

    /// Reads a commit's metadata.
    public func commit(_ id: GitObjectID) throws(GitError) -> GitCommit {
        var raw = id.raw
        var commit: OpaquePointer?
        try gitCheck(git_commit_lookup(&commit, pointer, &raw), "read commit \(id.short)")
        defer { git_commit_free(commit) }
        let author = git_commit_author(commit)!.pointee
        var parents: [GitObjectID] = []
        for index in 0..<git_commit_parentcount(commit) {
            parents.append(GitObjectID(git_commit_parent_id(commit, index).pointee))
        }
        return GitCommit(
            id: id,
            tree: GitObjectID(git_commit_tree_id(commit).pointee),
            parents: parents,
            message: String(cString: git_commit_message(commit)),
            author: GitSignature(name: String(cString: author.name), email: String(cString: author.email),
                                 time: Int64(author.when.time), offsetMinutes: Int(author.when.offset)))
    }

    /// Reads the entries of a tree, in git's order.
    public func tree(_ id: GitObjectID) throws(GitError) -> [GitTreeEntry] {
        var raw = id.raw
        var tree: OpaquePointer?
        try gitCheck(git_tree_lookup(&tree, pointer, &raw), "read tree \(id.short)")
        defer { git_tree_free(tree) }
        var entries: [GitTreeEntry] = []
        let count = git_tree_entrycount(tree)
        entries.reserveCapacity(count)
        for index in 0..<count {
            let entry = git_tree_entry_byindex(tree, index)
            entries.append(GitTreeEntry(
                name: String(cString: git_tree_entry_name(entry)),
                id: GitObjectID(git_tree_entry_id(entry).pointee),
                isTree: git_tree_entry_type(entry) == GIT_OBJECT_TREE))
        }
        return entries
    }

    /// Writes a commit object (but moves no reference: the caller does that last, with
    /// compare-and-swap). The corresponding C function is `git_commit_create`.
    public func createCommit(tree: GitObjectID, parents: [GitObjectID], message: String,
                             author: GitSignature) throws(GitError) -> GitObjectID {
        var treeRaw = tree.raw
        var treeObject: OpaquePointer?
        try gitCheck(git_tree_lookup(&treeObject, pointer, &treeRaw), "read tree \(tree.short)")
        defer { git_tree_free(treeObject) }
        var parentObjects: [OpaquePointer?] = []
        defer { parentObjects.forEach { git_commit_free($0) } }
        for parent in parents {
            var raw = parent.raw
            var commit: OpaquePointer?
            try gitCheck(git_commit_lookup(&commit, pointer, &raw), "read commit \(parent.short)")
            parentObjects.append(commit)
        }
        var signature: UnsafeMutablePointer<git_signature>?
        try gitCheck(git_signature_new(&signature, author.name, author.email, git_time_t(author.time),
                                       Int32(author.offsetMinutes)), "make signature for \(author.name)")
        defer { git_signature_free(signature) }
        var out = git_oid()
        let code = parentObjects.withUnsafeMutableBufferPointer { buffer -> Int32 in
            buffer.withMemoryRebound(to: OpaquePointer?.self) { parentsPointer in
                git_commit_create(&out, pointer, nil, signature, signature, "UTF-8", message, treeObject,
                                  parents.count, parentsPointer.baseAddress)
            }
        }
        try gitCheck(code, "create commit")
        return GitObjectID(out)
    }

    // MARK: Configuration

    /// The repository's configuration (its own file plus the global and system ones).
    public func configuration() throws(GitError) -> GitConfiguration {
        var config: OpaquePointer?
        try gitCheck(git_repository_config(&config, pointer), "open configuration")
        return GitConfiguration(pointer: config!)
    }
}

/// The metadata of a commit.
public struct GitCommit: Sendable {
    public let id: GitObjectID
    public let tree: GitObjectID
    public let parents: [GitObjectID]
    public let message: String
    public let author: GitSignature
}

/// One entry of a tree.
public struct GitTreeEntry: Sendable, Equatable {
    public let name: String
    public let id: GitObjectID
    public let isTree: Bool
}
