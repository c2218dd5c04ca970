import Dispatch
import DSVNative
import DSVStorage

/// Turns merged exports into a version's content. Shards are encoded, hashed and compressed in
/// parallel, one shard at a time per worker, so at most a few uncompressed shards exist at once.
public enum VersionBuilder {
    /// The summary's `sources` are left empty, for the caller to fill in: their SHA-256 may
    /// still be computing, and nothing else depends on them (the manifest digest does not cover
    /// them).
    /// - Parameters:
    ///   - pins: the S3 pin of each image key, when the version pins objects.
    ///   - reuse: the shard cache's key and what it knows, so that unchanged shards are
    ///     recognised by their fingerprints and not encoded, hashed or compressed again.
    ///   - pack: where each new shard's blob goes as soon as it is compressed (its `blob` is
    ///     then nil); without one, the blobs stay in the content.
    ///   - storing: false for content that will only be compared, never stored (a status): new
    ///     shards are then neither encoded, hashed nor compressed here, but by whatever compares
    ///     them, one at a time, from the content's `encoder`; the summary has no manifest
    ///     digest and the subsets no order stream (a millisecond of a 10k-image status).
    ///     Compressing them only to learn their blob ids, then decompressing them to compare,
    ///     was a fifth of a wide status, hashing them for a manifest nobody reads 4%, and
    ///     encoding them all ahead, each kept until compared, 32 MB of fresh memory at 10k.
    ///   - compression: the format's (`VersionContent.compression`) but in tests.
    public static func build(_ plan: VersionPlan, imagesPrefix: String?,
                             pins: [ExactKey: ObjectPin] = [:],
                             reuse: ShardReuse = ShardReuse(),
                             pack: PackStream? = nil, storing: Bool = true,
                             compression: ZstdSettings = VersionContent.compression) throws(ZstdError) -> VersionContent {
        let trace = Trace()
        let count = plan.imageCount
        // Every image of every subset gets a position: the subsets one after the other.
        var partOf = [Int32](repeating: 0, count: count)
        var localOf = [Int32](repeating: 0, count: count)
        var partStart: [Int] = []
        var keys = [String]()
        keys.reserveCapacity(count)
        for (index, part) in plan.parts.enumerated() {
            let start = keys.count
            partStart.append(start)
            for local in 0..<part.plan.imageCount {
                partOf[start + local] = Int32(index)
                localOf[start + local] = Int32(local)
            }
            keys += part.plan.keys
        }
        // Shard of every image, then images grouped by shard and sorted by key within.
        let layout = ShardLayout(images: count)
        let shardSlots = ResultSlots<Int32>(count: count)
        let allKeys = keys
        Parallel.forEachChunk(count, chunk: 4096, makeState: { Hasher(.sha256) }) { hasher, positions in
            for position in positions { shardSlots[position] = Int32(layout.shard(of: allKeys[position], using: hasher)) }
        }
        let shardOf = (0..<count).map { shardSlots[$0]! }
        trace.mark("shard of every key")
        var starts = [Int32](repeating: 0, count: layout.shardCount + 1)
        for shard in shardOf { starts[Int(shard) + 1] += 1 }
        for i in 0..<layout.shardCount { starts[i + 1] += starts[i] }
        var members = [Int32](repeating: 0, count: count)
        var fill = starts
        for position in 0..<count {
            let shard = Int(shardOf[position])
            members[Int(fill[shard])] = Int32(position)
            fill[shard] += 1
        }
        let nonEmpty = (0..<layout.shardCount).filter { starts[$0 + 1] > starts[$0] }
        var ordinals = [Int32](repeating: 0, count: count)
        for shard in nonEmpty {
            let range = Int(starts[shard])..<Int(starts[shard + 1])
            members[range].sort { ShardLayout.keyPrecedes(keys[Int($0)], keys[Int($1)]) }
            for slot in range { ordinals[Int(members[slot])] = Int32(slot) }
        }

        trace.mark("group and sort keys")
        // Each subset's header and order stream (its images' ordinals in its export order), and
        // the category counts. When the shard cache knows shards (a next round, most of them
        // unchanged), on a thread of their own beside the shards: a serial millisecond at 10k
        // images that filled no gap after them. When every shard is encoded (a first commit),
        // after them: beside them, their arrays raised the commit's peak, which is there, by
        // 1.5 MB at 10k images (61.2 -> 62.7 MB, medians of five). Compressed there too, to be
        // stored: half a millisecond of a 10k next round's serial end.
        let frozenOrdinals = ordinals, starting = partStart
        let describe = { @Sendable () throws(ZstdError) -> Described in
            var subsets: [VersionContent.SubsetObjects] = []
            for (index, part) in plan.parts.enumerated() {
                let first = starting[index]
                let order = storing ? orderStream(part.plan, ordinals: Array(frozenOrdinals[first..<first + part.plan.imageCount])) : []
                var objects = VersionContent.SubsetObjects(subset: part.subset, header: HeaderCodec.encode(part.plan), order: order)
                if storing {
                    objects.blobs = (GitObject(kind: .blob, content: try Zstd.compress(objects.header, compression)),
                                     GitObject(kind: .blob, content: try Zstd.compress(order, compression)))
                }
                subsets.append(objects)
            }
            return (subsets, categoryCounts(plan))
        }
        let described = reuse.known.isEmpty ? nil : BackgroundValue { () throws(ZstdError) in try describe() }
        let records = ShardRecords(starts: starts, members: members, keys: keys, sources: plan.parts.map(RecordSource.init),
                                   partOf: partOf, localOf: localOf, pins: pins)
        let shards = try buildShards(nonEmpty, layout: layout, reuse: reuse, records: records, pack: pack, storing: storing,
                                     compression: compression)
        trace.mark(storing ? "encode, hash and compress shards" : "look up shards")

        let (subsets, categories): Described
        if let described { (subsets, categories) = try described.value() } else { (subsets, categories) = try describe() }
        let counts = plan.parts.map { part in
            DatasetSummary.SubsetCounts(subset: part.subset, images: part.plan.imageCount, annotations: part.plan.annotationCount)
        }
        let summary = DatasetSummary(
            manifest: storing ? VersionContent.digest(subsets: subsets, shards: shards, layout: layout) : "",
            imagesPrefix: imagesPrefix, images: count, annotations: plan.annotationCount,
            categories: categories, objectsPinned: pins.isEmpty ? 0 : keys.count { pins[ExactKey($0)] != nil }, shards: shards.count,
            sources: [], subsets: counts, shardLayout: layout)
        trace.mark("headers, order streams and summary")
        return VersionContent(summary: summary, subsets: subsets, shards: shards, encoder: storing ? nil : ShardEncoder(records: records))
    }

    /// Each subset's header and order stream, and the annotations per category name.
    typealias Described = (subsets: [VersionContent.SubsetObjects], categories: [(name: String, annotations: Int)])

    /// The shards' content digests and blobs. With a shard cache, every shard is first
    /// fingerprinted — from the exports' bytes in place, nothing encoded — and a known
    /// fingerprint gives its SHA-256 and blob; the other shards are encoded, hashed and
    /// compressed on all cores, one shard at a time per worker — unless the previous version's
    /// shard of the same number has the same bytes (`reuse.previous`, when the cache did not
    /// know that version): then its blob is kept.
    static func buildShards(_ numbers: [Int], layout: ShardLayout, reuse: ShardReuse, records: ShardRecords,
                            pack: PackStream?, storing: Bool = true,
                            compression: ZstdSettings) throws(ZstdError) -> [VersionContent.Shard] {
        var shards = [VersionContent.Shard?](repeating: nil, count: numbers.count)
        let fingerprints = reuse.key.map { ShardFingerprints.compute(numbers, records: records, key: $0) }
        if let fingerprints, !reuse.known.isEmpty {
            let lookup = Trace()
            // One pass on one core: a few memory reads per shard. Entries come in runs of one
            // commit (a cache appends a commit's shards together): its history is asked once a run.
            var (lastCommit, lastInHistory): (GitObjectID?, Bool) = (nil, false)
            for slot in numbers.indices {
                guard let entry = reuse.known[fingerprints[slot]] else { continue }
                if entry.commit != lastCommit { (lastCommit, lastInHistory) = (entry.commit, reuse.history.contains(entry.commit)) }
                guard lastInHistory || reuse.database?.contains(entry.blobID, refresh: false) == true else { continue }
                shards[slot] = VersionContent.Shard(number: numbers[slot], contentDigest: entry.contentDigest,
                                                    blobID: entry.blobID, blob: nil, fingerprint: fingerprints[slot], isNew: false)
            }
            lookup.mark("look up known shards")
        }
        let todo = numbers.indices.filter { shards[$0] == nil }
        guard storing else {
            // Encoded when compared (`ShardEncoder`).
            for slot in todo {
                shards[slot] = VersionContent.Shard(number: numbers[slot], contentDigest: nil, blobID: nil, blob: nil,
                                                    fingerprint: fingerprints?[slot], isNew: true)
            }
            return shards.map { $0! }
        }
        let trace = Trace()
        let results = ResultSlots<Result<VersionContent.Shard, ZstdError>>(count: todo.count)
        let previous = reuse.previous.flatMap { $0.layout == layout ? $0 : nil }
        Parallel.forEach(todo.count, makeState: { ShardWorker(compressor: ZstdCompressor(compression), previous: previous?.reader()) }) { worker, index in
            let (slot, number) = (todo[index], numbers[todo[index]])
            var writer = ByteWriter(capacity: 16 * 1024)
            records.write(shard: number, with: &worker.cursor, to: &writer)
            results[index] = Result { () throws(ZstdError) in
                let contentDigest = SHA256Digest(of: writer.bytes)
                if let previous, let stored = previous.blob(of: number, sameAs: writer.bytes, reading: &worker.previous!) {
                    return VersionContent.Shard(number: number, contentDigest: contentDigest, blobID: stored, blob: nil,
                                                fingerprint: fingerprints?[slot], isNew: true)
                }
                let blob = GitObject(kind: .blob, content: try worker.compressor.compress(writer.bytes))
                pack?.add(blob)
                return VersionContent.Shard(number: number, contentDigest: contentDigest, blobID: blob.id,
                                            blob: pack == nil ? blob : nil, fingerprint: fingerprints?[slot], isNew: true)
            }
        }
        trace.mark("encode, hash and compress \(todo.count) shards")
        for (index, slot) in todo.enumerated() { shards[slot] = try results[index]!.get() }
        return shards.map { $0! }
    }

    /// What a worker building shards keeps from one shard to the next.
    private struct ShardWorker {
        let compressor: ZstdCompressor
        /// Where the previous version's shards are read, when they are compared.
        var previous: PreviousShards.Reader?
        var cursor = RecordSource.Cursor()
    }

    /// A subset's order stream: its images' manifest ordinals and lifted ids, its annotation runs.
    static func orderStream(_ plan: ExportPlan, ordinals: [Int32]) -> [UInt8] {
        var imageIDs: [Int64] = []
        for position in 0..<plan.imageCount { if let id = plan.imageIDs[position] { imageIDs.append(id) } }
        var annotationIDs: [Int64] = []
        annotationIDs.reserveCapacity(plan.annotationCount)
        // The exports' arrays taken out once: read through each export (a class) they cost an
        // access check and a reference count per annotation.
        let annotations = plan.exports.map(\.annotations), shifts = plan.annotationIDShifts
        let starts = plan.imageStart, refs = plan.annotationsOfImage
        for (image, within) in plan.annotationOrder {
            let ref = refs[Int(starts[Int(image)] + within)]
            let id = annotations[Int(ref.file)][Int(ref.index)].id
            if id != CanonicalInteger.absent { annotationIDs.append(id + shifts[Int(ref.file)]) }
        }
        return OrderStream(ordinals: ordinals, imageIDs: imageIDs, runs: OrderStream.runs(of: plan.annotationOrder),
                           annotationIDs: annotationIDs, annotationCount: plan.annotationCount).encoded()
    }

    /// Annotations per category name over all subsets, in the order names first appear (annotations
    /// whose category_id names no category are not counted).
    static func categoryCounts(_ plan: VersionPlan) -> [(name: String, annotations: Int)] {
        var merged: [(name: String, annotations: Int)] = []
        var slotOfName: [String: Int] = [:]
        for part in plan.parts {
            for (name, count) in categoryCounts(part.plan) {
                if let slot = slotOfName[name] { merged[slot].annotations += count; continue }
                slotOfName[name] = merged.count
                merged.append((name, count))
            }
        }
        return merged
    }

    /// Annotations per category name, in the merged categories' order (annotations whose
    /// category_id names no category are not counted), from the category validation found for
    /// each annotation.
    static func categoryCounts(_ plan: ExportPlan) -> [(name: String, annotations: Int)] {
        var counts = [Int](repeating: 0, count: plan.categories.count)
        let slotOfName = Dictionary(plan.categories.enumerated().map { ($0.element.name, $0.offset) }) { a, _ in a }
        // Per file: its category index → slot of the merged category with the same name.
        let slots: [[Int]] = plan.exports.map { export in export.categories.map { slotOfName[$0.name] ?? -1 } }
        let categoryOf = plan.exports.map(\.annotationCategories)
        // Annotations dropped with a duplicate image are not in the plan: count the plan's.
        for ref in plan.annotationsOfImage {
            let category = Int(categoryOf[Int(ref.file)][Int(ref.index)])
            guard category >= 0 else { continue }
            let slot = slots[Int(ref.file)][category]
            if slot >= 0 { counts[slot] += 1 }
        }
        return zip(plan.categories, counts).map { ($0.name, $1) }
    }
}

/// How content built only to be compared (a status) encodes a shard it did not know, when it is
/// compared: the records of the exports it was built from.
public struct ShardEncoder: Sendable {
    let records: ShardRecords

    /// Shard `number`'s bytes, as a build that stores them would encode them, into `writer`.
    func write(shard number: Int, with cursor: inout RecordSource.Cursor, to writer: inout ByteWriter) {
        records.write(shard: number, with: &cursor, to: &writer)
    }
}

/// Every image's place: its shard (`starts`/`members`, sorted by key within a shard) and its
/// part and position in the plan. Writes a shard's bytes, or feeds what they depend on into a
/// fingerprint.
struct ShardRecords: @unchecked Sendable {
    let starts: [Int32]
    let members: [Int32]
    let keys: [String]
    let sources: [RecordSource]
    let partOf: [Int32]
    let localOf: [Int32]
    let pins: [ExactKey: ObjectPin]

    var imageCount: Int { keys.count }

    /// The shard's bytes: the magic, the record count, the records sorted by key.
    func write(shard: Int, with cursor: inout RecordSource.Cursor, to writer: inout ByteWriter) {
        for byte in ShardCodec.magic.utf8 { writer.byte(byte) }
        writer.varint(Int(starts[shard + 1] - starts[shard]))
        for slot in Int(starts[shard])..<Int(starts[shard + 1]) { write(image: Int(members[slot]), with: &cursor, to: &writer) }
    }

    /// The record of the image at `position` (the version's order) to a sink.
    func write(image position: Int, with cursor: inout RecordSource.Cursor, to sink: inout some RecordSink) {
        cursor.write(image: Int(localOf[position]), part: Int(partOf[position]), of: sources,
                     pin: pins.isEmpty ? nil : pins[ExactKey(keys[position])], to: &sink)
    }
}

/// What the repository already stores about shards (its `ShardCache`): with a key, shards are
/// fingerprinted first and known ones are reused; without one (no repository), every shard is
/// encoded, hashed and compressed.
public struct ShardReuse: Sendable {
    public var key: FingerprintKey?
    public var known: ShardTable
    /// The commits of the cache's entries that are in the history being extended: their blobs
    /// are stored. A cache entry may outlive its blob otherwise; then `database` is asked.
    public var history: Set<GitObjectID>
    public var database: GitObjectDatabase?
    /// The shards of the version being followed, to compare by content, when the cache does
    /// not know it (`knows(_:)`).
    public var previous: PreviousShards?

    /// Nothing known; with a key, shards are still fingerprinted (for a cache to learn them).
    public init(key: FingerprintKey? = nil) {
        self.key = key
        known = ShardTable()
        history = []
        database = nil
    }

    /// - Parameter head: the commit the new version will follow; entries from it or its history
    ///   are known to be stored, others are looked up.
    public init(cache: ShardCache, repository: GitRepository, head: GitObjectID?) throws(GitError) {
        key = cache.key
        known = cache.entries
        history = []
        if let head {
            for commit in cache.commits where (try? repository.isDescendant(head, of: commit)) == true {
                history.insert(commit)
            }
        }
        database = try repository.objectDatabase()
    }

    /// Whether the cache learnt shards from `commit` itself — as the commit that made it does,
    /// every shard the cache did not know yet — rather than from its history only, or nothing.
    public func knows(_ commit: GitObjectID) -> Bool { history.contains(commit) }
}
