import Dispatch
import DSVNative
import DSVStorage

/// Turns merged exports into a version's content. Shards are encoded, hashed and compressed in
/// parallel, one shard at a time per worker, so at most a few uncompressed shards exist at once.
public enum VersionBuilder {
    /// - Parameters:
    ///   - pins: the S3 pin of each image key, when the version pins objects.
    ///   - reuse: compressed blobs of shards whose content digest is already known (from the
    ///     previous version), so unchanged shards are not compressed again.
    public static func build(_ plan: ExportPlan, sources: [DatasetSummary.Source], imagesPrefix: String?,
                             pins: [String: ObjectPin] = [:],
                             reuse: ShardReuse = ShardReuse()) throws(ZstdError) -> VersionContent {
        let count = plan.imageCount
        // Shard of every image, then images grouped by shard and sorted by key within.
        var shardOf = [Int32](repeating: 0, count: count)
        var keys = [String]()
        keys.reserveCapacity(count)
        for position in 0..<count {
            let key = plan.key(of: position)
            keys.append(key)
            shardOf[position] = Int32(ShardLayout.shard(of: key))
        }
        var starts = [Int32](repeating: 0, count: ShardLayout.shardCount + 1)
        for shard in shardOf { starts[Int(shard) + 1] += 1 }
        for i in 0..<ShardLayout.shardCount { starts[i + 1] += starts[i] }
        var members = [Int32](repeating: 0, count: count)
        var fill = starts
        for position in 0..<count {
            let shard = Int(shardOf[position])
            members[Int(fill[shard])] = Int32(position)
            fill[shard] += 1
        }
        let nonEmpty = (0..<ShardLayout.shardCount).filter { starts[$0 + 1] > starts[$0] }
        var ordinals = [Int32](repeating: 0, count: count)
        for shard in nonEmpty {
            let range = Int(starts[shard])..<Int(starts[shard + 1])
            members[range].sort { ShardLayout.keyPrecedes(keys[Int($0)], keys[Int($1)]) }
            for slot in range { ordinals[Int(members[slot])] = Int32(slot) }
        }

        // Encode, hash and compress the shards in parallel.
        let results = ResultSlots<Result<VersionContent.Shard, ZstdError>>(count: nonEmpty.count)
        let (shardStarts, shardMembers, imageKeys) = (starts, members, keys)
        Parallel.forEach(nonEmpty.count, makeState: { ZstdCompressor(level: VersionContent.compressionLevel) }) { compressor, slot in
            let shard = nonEmpty[slot]
            var writer = ByteWriter(capacity: 16 * 1024)
            for byte in ShardCodec.magic.utf8 { writer.byte(byte) }
            let range = Int(shardStarts[shard])..<Int(shardStarts[shard + 1])
            writer.varint(range.count)
            for slotIndex in range {
                let position = Int(shardMembers[slotIndex])
                let ref = plan.images[position]
                let annotations = plan.annotationsOfImage[Int(plan.imageStart[position])..<Int(plan.imageStart[position + 1])]
                let pin = pins.isEmpty ? nil : pins[imageKeys[position]]
                RecordEncoder.append(plan, file: ref.file, index: ref.index, annotations: annotations, pin: pin, to: &writer)
            }
            let digest = Hasher.digest(.sha256, writer.bytes)
            if let blobID = reuse.blobs[digest] {
                results[slot] = .success(VersionContent.Shard(number: shard, contentDigest: digest, blobID: blobID, blob: nil))
                return
            }
            results[slot] = Result { () throws(ZstdError) in
                let compressed = try compressor.compress(writer.bytes)
                let blob = GitObject(kind: .blob, content: compressed)
                return VersionContent.Shard(number: shard, contentDigest: digest, blobID: blob.id, blob: blob)
            }
        }
        var shards: [VersionContent.Shard] = []
        shards.reserveCapacity(nonEmpty.count)
        for slot in 0..<nonEmpty.count { shards.append(try results[slot]!.get()) }

        // The order stream.
        var imageIDs: [Int64] = []
        for position in 0..<count { if let id = plan.imageIDs[position] { imageIDs.append(id) } }
        var annotationIDs: [Int64] = []
        annotationIDs.reserveCapacity(plan.annotationCount)
        for (image, within) in plan.annotationOrder {
            let ref = plan.annotationsOfImage[Int(plan.imageStart[Int(image)] + within)]
            if let id = plan.annotationIDs[Int(ref.file)][Int(ref.index)] { annotationIDs.append(id) }
        }
        let order = OrderStream(ordinals: ordinals, imageIDs: imageIDs, runs: OrderStream.runs(of: plan.annotationOrder),
                                annotationIDs: annotationIDs, annotationCount: plan.annotationCount).encoded()
        let header = HeaderCodec.encode(plan)
        let summary = DatasetSummary(
            manifest: VersionContent.digest(header: header, order: order, shards: shards),
            imagesPrefix: imagesPrefix, images: count, annotations: plan.annotationCount,
            categories: categoryCounts(plan), objectsPinned: pins.isEmpty ? 0 : keys.count { pins[$0] != nil }, shards: shards.count, sources: sources)
        return VersionContent(summary: summary, header: header, order: order, shards: shards)
    }

    /// Annotations per category name, in the merged categories' order (annotations whose
    /// category_id names no category are not counted).
    static func categoryCounts(_ plan: ExportPlan) -> [(name: String, annotations: Int)] {
        var counts = [Int](repeating: 0, count: plan.categories.count)
        let slotOfName = Dictionary(plan.categories.enumerated().map { ($0.element.name, $0.offset) }) { a, _ in a }
        // Per file: its category id → slot of the merged category with the same name.
        let slots: [IDLookup<Int>] = plan.exports.map { export in
            var lookup = IDLookup<Int>()
            for category in export.categories { if let slot = slotOfName[category.name] { lookup.insert(category.id, slot) } }
            return lookup
        }
        for (file, export) in plan.exports.enumerated() {
            export.withAnnotationBytes { bytes in
                // Annotations dropped with a duplicate image are not in the plan: count the plan's.
                for ref in plan.annotationsOfImage[...] where ref.file == Int32(file) {
                    guard let range = export.annotations[Int(ref.index)].categoryIDRange,
                          let slot = slots[file].value(bytes, range) else { continue }
                    counts[slot] += 1
                }
            }
        }
        return zip(plan.categories, counts).map { ($0.name, $1) }
    }
}

/// Shards the repository already stores, by the SHA-256 of their uncompressed content: an
/// unchanged shard is hashed but neither compressed nor written again.
public struct ShardReuse: Sendable {
    public var blobs: [[UInt8]: GitObjectID] = [:]
    public init() {}
    public init(_ blobs: [[UInt8]: GitObjectID]) { self.blobs = blobs }

    /// The repository's local shard index, keeping only blobs the repository really holds.
    public init(index: ShardDigestIndex, database: GitObjectDatabase) {
        blobs = index.load().filter { database.contains($0.value, refresh: false) }
    }
}
