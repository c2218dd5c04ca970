import DSVNative

/// A local index from the SHA-256 of a shard's uncompressed content to the id of the blob that
/// stores it (`.dsv/dsv-shards.idx`, 52-byte entries, appended after each commit). It only
/// saves work — recompressing an unchanged shard gives the same blob — so a missing or damaged
/// index is ignored, and entries whose blob the repository lacks are never used.
public struct ShardDigestIndex: Sendable {
    static let entrySize = 32 + GitObjectID.byteCount
    public let path: String

    public init(repository: DatasetRepository) {
        path = joinPath(repository.path, "dsv-shards.idx")
    }

    /// Every entry; an unreadable file gives none.
    public func load() -> [[UInt8]: GitObjectID] {
        guard let bytes = try? FileSystem.read(path) else { return [:] }
        var entries: [[UInt8]: GitObjectID] = [:]
        entries.reserveCapacity(bytes.count / Self.entrySize)
        var offset = 0
        while offset + Self.entrySize <= bytes.count {
            let digest = Array(bytes[offset..<offset + 32])
            entries[digest] = GitObjectID(bytes: Array(bytes[offset + 32..<offset + Self.entrySize]))
            offset += Self.entrySize
        }
        return entries
    }

    /// Appends entries (best effort: the index is only a cache).
    public func append(_ entries: [([UInt8], GitObjectID)]) {
        guard !entries.isEmpty else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * Self.entrySize)
        for (digest, id) in entries {
            bytes += digest
            bytes += id.bytes
        }
        try? FileSystem.append(bytes, to: path)
    }
}
