import DSVNative

/// Reads blobs for one thread: in place from a pack that holds the blob stored whole (dsv's
/// own packs, `StoredPackObjects`), else through libgit2 — a fetched pack's objects are
/// deflated, some are deltas, some loose — with an object database of this reader's own,
/// opened when first needed: libgit2's objects are one thread's, and this is its fastest way to
/// read from several.
public struct BlobReader {
    private let path: String
    private let packs: StoredPackObjects?
    /// The pack that last held a blob: a version's blobs sit together in a few packs.
    private var hint = 0
    private var objects: GitObjectDatabase?

    /// - Parameters:
    ///   - path: the repository (its git directory), for libgit2.
    ///   - packs: its packs, mapped once for every reader.
    public init(repository path: String, packs: StoredPackObjects?) {
        self.path = path
        self.packs = packs
    }

    /// `body` of the blob's content, valid during the call.
    public mutating func withBlob<R>(_ id: GitObjectID, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if let stored = packs?.storedBlob(id, hint: &hint) { return try body(stored) }
        if objects == nil { objects = try GitRepository.open(at: path).objectDatabase() }
        return try objects!.withObject(id, body)
    }
}
