import DSVNative
import DSVStorage

/// Reads, decompresses and decodes shards on all cores: a version's (`StoredVersion`) or the
/// working shards a status built. A shard in one of dsv's own packs is decompressed straight
/// from the mapped pack (`StoredPackObjects`); for any other, a worker opens the repository
/// for itself when it first needs one — libgit2's objects are one thread's, and this is its
/// fastest way to read from several. Each decompresses into an arena of its own: kept alive
/// by what `transform` returns (`keepingBytes`: views over the bytes), or reused for the next
/// shard once `transform` has copied out what it needs.
enum ShardReader {
    /// Where a shard's bytes are.
    enum Source: Sendable {
        /// In the repository.
        case object(GitObjectID)
        /// In memory, uncompressed: a working shard a status encoded but did not store.
        case encoded([UInt8])
        /// No shard at this number: read as one without records.
        case empty
    }

    static func decode<T>(_ sources: [Source], repository path: String, keepingBytes: Bool,
                          _ transform: @escaping @Sendable (ShardView) -> T) -> [Result<T, any Error>] {
        let slots = ResultSlots<Result<T, any Error>>(count: sources.count)
        let packs = sources.contains { if case .object = $0 { true } else { false } }
            ? StoredPackObjects(packDirectory: joinPath(path, "objects/pack")) : nil
        Parallel.forEach(sources.count, makeState: { (GitObjectDatabase?.none, ZstdDecompressor(), BumpArena(), 0) }) { state, index in
            let arena = state.2
            slots[index] = Result {
                let view: ShardView
                switch sources[index] {
                case .empty:
                    view = try ShardView(Array(ShardCodec.magic.utf8) + [0])
                case .encoded(let bytes):
                    view = try ShardView(bytes)
                case .object(let id):
                    let bytes: UnsafeBufferPointer<UInt8>
                    if let stored = packs?.storedBlob(id, hint: &state.3) {
                        bytes = try state.1.decompress(stored, into: arena)
                    } else {
                        if state.0 == nil { state.0 = try GitRepository.open(at: path).objectDatabase() }
                        bytes = try state.0!.withObject(id) { try state.1.decompress($0, into: arena) }
                    }
                    view = try ShardView(bytes: bytes, owner: arena)
                }
                return transform(view)
            }
            if !keepingBytes { arena.reset() }
        }
        return (0..<sources.count).map { slots[$0]! }
    }

    /// The same for several lists of sources (the two sides of a diff) in one pass over the
    /// cores, each list's results apart.
    static func decode<T>(_ groups: [[Source]], repository path: String, keepingBytes: Bool,
                          _ transform: @escaping @Sendable (ShardView) -> T) -> [[Result<T, any Error>]] {
        let results = decode(groups.flatMap { $0 }, repository: path, keepingBytes: keepingBytes, transform)
        var start = 0
        return groups.map { group in
            defer { start += group.count }
            return Array(results[start..<start + group.count])
        }
    }
}
