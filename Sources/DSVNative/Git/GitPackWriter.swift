import CGit2

/// Streams a pack ("PACK", version 2, objects, SHA-1 trailer) into an object database.
/// libgit2's indexer verifies every object, writes `.pack` and `.idx` under temporary names and
/// renames them into place on `commit()`, so a crash leaves either the whole pack or none of it.
/// The corresponding C function is `git_odb_write_pack`.
public final class GitPackWriter: @unchecked Sendable {
    private let writer: UnsafeMutablePointer<git_odb_writepack>
    private let odb: GitObjectDatabase  // keeps the database alive while writing
    private var stats = git_indexer_progress()

    init(odb: GitObjectDatabase) throws(GitError) {
        self.odb = odb
        var writer: UnsafeMutablePointer<git_odb_writepack>?
        try gitCheck(git_odb_write_pack(&writer, odb.pointer, nil, nil), "start writing a pack")
        self.writer = writer!
    }

    deinit { writer.pointee.free(writer) }

    /// Appends the next bytes of the pack stream.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(GitError) {
        guard bytes.count > 0 else { return }
        try gitCheck(writer.pointee.append(writer, bytes.baseAddress!, bytes.count, &stats), "write pack")
    }

    /// Finishes the pack: indexes it and moves it into place.
    public func commit() throws(GitError) {
        try gitCheck(writer.pointee.commit(writer, &stats), "index pack")
    }
}
