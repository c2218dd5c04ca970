import DSVNative
import DSVStorage

/// The shards of the version a commit follows, for recognising an unchanged shard by its
/// content when the shard cache cannot: a fresh clone has no cache, and a shard compressed
/// anew is the same object only if it is compressed to the same bytes — which another
/// compression setting (`VersionContent.compression`) or another zstd release need not do.
/// Without this, the first commit after either would store every shard again.
///
/// Used only when the cache did not learn the followed commit's shards from that commit itself
/// (`ShardReuse.knows`); there, a shard the cache did not recognise is compared with the
/// previous version's shard of its number before it is compressed: decompressing that one and
/// comparing costs less than compressing, and an equal shard keeps the stored blob.
public struct PreviousShards: Sendable {
    let layout: ShardLayout
    let blobs: [Int: GitObjectID]
    private let path: String
    private let packs: StoredPackObjects

    public init(_ version: StoredVersion) throws(RepositoryError) {
        layout = version.summary.shardLayout
        blobs = try version.shardBlobs()
        path = version.repository.path
        packs = StoredPackObjects(packDirectory: joinPath(path, "objects/pack"))
    }

    /// What one thread reads the shards with.
    struct Reader {
        var blobs: BlobReader
        let decompressor = ZstdDecompressor()
    }

    func reader() -> Reader { Reader(blobs: BlobReader(repository: path, packs: packs)) }

    /// The stored blob of shard `number` when its content is `bytes`.
    func blob(of number: Int, sameAs bytes: [UInt8], reading reader: inout Reader) -> GitObjectID? {
        let decompressor = reader.decompressor
        guard let id = blobs[number],
              let same = try? reader.blobs.withBlob(id, { try decompressor.decompress($0) == bytes }), same else { return nil }
        return id
    }
}
