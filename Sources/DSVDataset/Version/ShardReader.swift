import DSVNative
import DSVStorage

/// Reads, decompresses and decodes shards on all cores: a version's (`StoredVersion`) or the
/// working shards a status built. A shard in one of dsv's own packs is decompressed straight
/// from the mapped pack, any other through libgit2 (`BlobReader`, one per worker). Each
/// decompresses into an arena of its own: kept alive by what `transform` returns
/// (`keepingBytes`: views over the bytes), or reused for the next shard once `transform` has
/// copied out what it needs.
enum ShardReader {
    /// Where a shard's bytes are.
    enum Source: Sendable {
        /// In the repository.
        case object(GitObjectID)
        /// Not encoded yet: a working shard of a status, encoded by the worker that reads it
        /// (with the `encoder` the reading was given: one per worker, rather than a copy of its
        /// tables' references with every shard, which both cores counted up and down).
        case encoding(Int)
        /// No shard at this number: read as one without records.
        case empty
    }

    static func decode<T>(_ sources: [Source], encoder: ShardEncoder? = nil, repository path: String, keepingBytes: Bool,
                          _ transform: @escaping @Sendable (ShardView) -> T) -> [Result<T, any Error>] {
        let slots = ResultSlots<Result<T, any Error>>(count: sources.count)
        let packs = Worker.packs(for: sources, repository: path)
        Parallel.forEach(sources.count, makeState: { Worker(repository: path, packs: packs, encoder: encoder) }) { worker, index in
            slots[index] = Result { transform(try worker.view(of: sources[index])) }
            if !keepingBytes { worker.arena.reset() }
        }
        return (0..<sources.count).map { slots.take($0)! }
    }

    /// `transform` of pairs of shards — the same number in the same layout on a diff's two
    /// sides, nil where a side has none — in the pairs' order. Each pair is decoded by one
    /// worker into the same memory, reused for the next once `transform` has copied out what it
    /// keeps.
    static func pairs<T>(_ pairs: [(Source?, Source?)], encoder: ShardEncoder? = nil, repository path: String,
                         _ transform: @escaping @Sendable (ShardView?, ShardView?) -> T) throws(UnreadablePair) -> [T] {
        let slots = ResultSlots<Result<T, UnreadablePair>>(count: pairs.count)
        let packs = Worker.packs(for: pairs.flatMap { [$0.0, $0.1].compactMap { $0 } }, repository: path)
        Parallel.forEach(pairs.count, makeState: { Worker(repository: path, packs: packs, encoder: encoder) }) { worker, index in
            let (old, new) = pairs[index]
            do {
                let oldView = try old.map { try worker.view(of: $0) }
                do {
                    slots[index] = .success(transform(oldView, try new.map { try worker.view(of: $0) }))
                } catch {
                    slots[index] = .failure(UnreadablePair(index: index, newSide: true))
                }
            } catch {
                slots[index] = .failure(UnreadablePair(index: index, newSide: false))
            }
            worker.arena.reset()
        }
        return try (0..<pairs.count).map { index throws(UnreadablePair) in try slots.take(index)!.get() }
    }

    /// The pair `index` of `pairs` could not be read: its old or its new shard.
    struct UnreadablePair: Error {
        var index: Int
        var newSide: Bool
    }

    /// One worker's means of reading shards: a zstd context, an arena to decompress into, tables
    /// to parse into, and a reader of blobs of its own.
    private struct Worker {
        var blobs: BlobReader
        let encoder: ShardEncoder?
        let decompressor = ZstdDecompressor()
        let arena = BumpArena()
        var scratch = ShardView.Scratch()
        /// Where a working shard is encoded, its capacity kept from one shard to the next.
        var writer = ByteWriter(capacity: 16 * 1024)
        var cursor = RecordSource.Cursor()

        init(repository path: String, packs: StoredPackObjects?, encoder: ShardEncoder?) {
            blobs = BlobReader(repository: path, packs: packs)
            self.encoder = encoder
        }

        /// The packs to read shards from in place, when any shard is in the repository.
        static func packs(for sources: [Source], repository path: String) -> StoredPackObjects? {
            sources.contains { if case .object = $0 { true } else { false } }
                ? StoredPackObjects(packDirectory: joinPath(path, "objects/pack")) : nil
        }

        mutating func view(of source: Source) throws -> ShardView {
            switch source {
            case .empty:
                return try ShardView(Array(ShardCodec.magic.utf8) + [0], scratch: &scratch)
            case .encoding(let number):
                guard let encoder else { throw ShardCodec.Corrupt("a working shard to encode, and no encoder") }
                writer.bytes.removeAll(keepingCapacity: true)
                encoder.write(shard: number, with: &cursor, to: &writer)
                // Into the arena, reused from one shard to the next, as a decompressed one is.
                let copy = arena.allocate(writer.bytes.count)
                writer.bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
                return try ShardView(bytes: UnsafeBufferPointer(copy.bindMemory(to: UInt8.self)), owner: arena, scratch: &scratch)
            case .object(let id):
                let (decompressor, arena) = (decompressor, arena)
                let bytes = try blobs.withBlob(id) { try decompressor.decompress($0, into: arena) }
                return try ShardView(bytes: bytes, owner: arena, scratch: &scratch)
            }
        }
    }

    /// The same for several lists of sources (the two sides of a diff) in one pass over the
    /// cores, each list's results apart.
    static func decode<T>(_ groups: [[Source]], encoder: ShardEncoder? = nil, repository path: String, keepingBytes: Bool,
                          _ transform: @escaping @Sendable (ShardView) -> T) -> [[Result<T, any Error>]] {
        let results = decode(groups.flatMap { $0 }, encoder: encoder, repository: path, keepingBytes: keepingBytes, transform)
        if groups.count == 1 { return [consume results] }
        var start = 0
        return groups.map { group in
            defer { start += group.count }
            return Array(results[start..<start + group.count])
        }
    }
}
