import DSVNative
import DSVStorage

/// The shards of the version a commit follows, for recognising an unchanged shard by its
/// content when the shard cache cannot: a fresh clone has no cache, and a shard compressed
/// anew is the same object only if it is compressed to the same bytes — which another
/// compression setting (`VersionContent.compression`) or another zstd release need not do.
/// Without this, the first commit after either would store every shard again.
///
/// Used only when the cache knows nothing of the commit being followed; there, a shard the
/// cache did not recognise is compared with the previous version's shard of its number before
/// it is compressed: decompressing that one and comparing costs less than compressing, and an
/// equal shard keeps the stored blob. Only shards stored whole in one of the repository's
/// packs are compared (any other is compressed and stored, as without this).
public struct PreviousShards: Sendable {
    let layout: ShardLayout
    let blobs: [Int: GitObjectID]
    let packs: StoredPackObjects

    public init(_ version: StoredVersion) throws(RepositoryError) {
        layout = version.summary.shardLayout
        blobs = try version.shardBlobs()
        packs = StoredPackObjects(packDirectory: joinPath(version.repository.path, "objects/pack"))
    }

    /// The stored blob of shard `number` when its content is `bytes`.
    func blob(of number: Int, sameAs bytes: [UInt8], using decompressor: ZstdDecompressor) -> GitObjectID? {
        guard let id = blobs[number], let stored = packs.storedBlob(id),
              let content = try? decompressor.decompress(stored), content == bytes else { return nil }
        return id
    }
}
