import CGit2

/// A repository's object database: existence checks, raw reads, and writing a whole pack.
public final class GitObjectDatabase: @unchecked Sendable {
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) { self.pointer = pointer }
    deinit { git_odb_free(pointer) }

    /// The packs of an `objects` folder alone, without its loose objects or alternates: asked
    /// whether it holds an object, it reads only the packs' indexes, where a full database
    /// also looks for a loose file — a system call for every object it does not hold. The
    /// corresponding C functions are `git_odb_new`, `git_odb_backend_pack` and
    /// `git_odb_add_backend`.
    public static func packs(inObjectsFolder folder: String) throws(GitError) -> GitObjectDatabase {
        var odb: OpaquePointer?
        try gitCheck(git_odb_new(&odb), "open object database")
        let database = GitObjectDatabase(pointer: odb!)
        var backend: OpaquePointer?
        try gitCheck(git_odb_backend_pack(&backend, folder), "open the packs of \(folder)")
        // Owned by the database once added, freed with it.
        try gitCheck(git_odb_add_backend(database.pointer, backend, 1), "open the packs of \(folder)")
        return database
    }

    /// Whether the object is already stored (loose or packed). With `refresh: false` a miss
    /// does not rescan the pack folder — much faster when asking about many new objects.
    /// The corresponding C function is `git_odb_exists_ext`.
    public func contains(_ id: GitObjectID, refresh: Bool = true) -> Bool {
        var raw = id.raw
        return git_odb_exists_ext(pointer, &raw, refresh ? 0 : UInt32(GIT_ODB_LOOKUP_NO_REFRESH.rawValue)) == 1
    }

    /// Rescans the pack folder, so that packs written since the database was opened are seen.
    /// The corresponding C function is `git_odb_refresh`.
    public func refresh() throws(GitError) {
        try gitCheck(git_odb_refresh(pointer), "refresh object database")
    }

    /// Writes one object as a loose file: for the few small objects a commit adds outside its
    /// pack. `type` is git's object type number (1 commit, 2 tree, 3 blob). The corresponding C
    /// function is `git_odb_write`.
    @discardableResult
    public func write(type: UInt8, content: [UInt8]) throws(GitError) -> GitObjectID {
        var raw = git_oid()
        let status = content.withUnsafeBytes { git_odb_write(&raw, pointer, $0.baseAddress, $0.count, git_object_t(rawValue: Int32(type))) }
        try gitCheck(status, "write object")
        return GitObjectID(raw)
    }

    /// The inflated content of an object.
    public func read(_ id: GitObjectID) throws(GitError) -> [UInt8] {
        try readObject(id).content
    }

    /// An object's type (git's number: 1 commit, 2 tree, 3 blob, 4 tag) and inflated content.
    /// The corresponding C functions are `git_odb_read` and `git_odb_object_type`.
    public func readObject(_ id: GitObjectID) throws(GitError) -> (type: UInt8, content: [UInt8]) {
        var raw = id.raw
        var object: OpaquePointer?
        try gitCheck(git_odb_read(&object, pointer, &raw), "read object \(id.short)")
        defer { git_odb_object_free(object) }
        let type = UInt8(truncatingIfNeeded: git_odb_object_type(object).rawValue)
        let size = git_odb_object_size(object)
        guard size > 0, let data = git_odb_object_data(object) else { return (type, []) }
        return (type, Array(UnsafeRawBufferPointer(start: data, count: size)))
    }

    /// Calls `body` with an object's inflated content, without copying it out of libgit2.
    /// The bytes are valid only during the call.
    public func withObject<R>(_ id: GitObjectID, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        var raw = id.raw
        var object: OpaquePointer?
        try gitCheck(git_odb_read(&object, pointer, &raw), "read object \(id.short)")
        defer { git_odb_object_free(object) }
        return try body(UnsafeRawBufferPointer(start: git_odb_object_data(object), count: git_odb_object_size(object)))
    }
}
