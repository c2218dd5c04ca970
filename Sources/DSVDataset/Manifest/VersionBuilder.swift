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
    public static func build(_ plan: VersionPlan, sources: [DatasetSummary.Source], imagesPrefix: String?,
                             pins: [String: ObjectPin] = [:],
                             reuse: ShardReuse = ShardReuse()) throws(ZstdError) -> VersionContent {
        let count = plan.imageCount
        // Every image of every subset gets a position: the subsets one after the other.
        var partOf = [Int32](repeating: 0, count: count)
        var localOf = [Int32](repeating: 0, count: count)
        var partStart: [Int] = []
        var keys = [String]()
        keys.reserveCapacity(count)
        for (index, part) in plan.parts.enumerated() {
            partStart.append(keys.count)
            for local in 0..<part.plan.imageCount {
                partOf[keys.count] = Int32(index)
                localOf[keys.count] = Int32(local)
                keys.append(part.plan.key(of: local))
            }
        }
        // Shard of every image, then images grouped by shard and sorted by key within.
        var shardOf = [Int32](repeating: 0, count: count)
        for position in 0..<count { shardOf[position] = Int32(ShardLayout.shard(of: keys[position])) }
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
        let (shardStarts, shardMembers, imageKeys, parts, partOfImage, localOfImage) = (starts, members, keys, plan.parts, partOf, localOf)
        Parallel.forEach(nonEmpty.count, makeState: { ZstdCompressor(level: VersionContent.compressionLevel) }) { compressor, slot in
            let shard = nonEmpty[slot]
            var writer = ByteWriter(capacity: 16 * 1024)
            for byte in ShardCodec.magic.utf8 { writer.byte(byte) }
            let range = Int(shardStarts[shard])..<Int(shardStarts[shard + 1])
            writer.varint(range.count)
            for slotIndex in range {
                let position = Int(shardMembers[slotIndex])
                let part = parts[Int(partOfImage[position])]
                let local = Int(localOfImage[position])
                let ref = part.plan.images[local]
                let annotations = part.plan.annotationsOfImage[Int(part.plan.imageStart[local])..<Int(part.plan.imageStart[local + 1])]
                let pin = pins.isEmpty ? nil : pins[imageKeys[position]]
                RecordEncoder.append(part.plan, file: ref.file, index: ref.index, annotations: annotations, pin: pin,
                                     subset: part.subset.isDefault ? nil : part.subset.name, to: &writer)
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

        // Each subset's header and order stream (its images' ordinals in its export order).
        var subsets: [VersionContent.SubsetObjects] = []
        var counts: [DatasetSummary.SubsetCounts] = []
        for (index, part) in plan.parts.enumerated() {
            let first = partStart[index]
            let order = orderStream(part.plan, ordinals: Array(ordinals[first..<first + part.plan.imageCount]))
            subsets.append(VersionContent.SubsetObjects(subset: part.subset, header: HeaderCodec.encode(part.plan), order: order))
            counts.append(DatasetSummary.SubsetCounts(subset: part.subset, images: part.plan.imageCount,
                                                      annotations: part.plan.annotationCount))
        }
        let summary = DatasetSummary(
            manifest: VersionContent.digest(subsets: subsets, shards: shards),
            imagesPrefix: imagesPrefix, images: count, annotations: plan.annotationCount,
            categories: categoryCounts(plan), objectsPinned: pins.isEmpty ? 0 : keys.count { pins[$0] != nil }, shards: shards.count,
            sources: sources, subsets: counts)
        return VersionContent(summary: summary, subsets: subsets, shards: shards)
    }

    /// A subset's order stream: its images' manifest ordinals and lifted ids, its annotation runs.
    static func orderStream(_ plan: ExportPlan, ordinals: [Int32]) -> [UInt8] {
        var imageIDs: [Int64] = []
        for position in 0..<plan.imageCount { if let id = plan.imageIDs[position] { imageIDs.append(id) } }
        var annotationIDs: [Int64] = []
        annotationIDs.reserveCapacity(plan.annotationCount)
        for (image, within) in plan.annotationOrder {
            let ref = plan.annotationsOfImage[Int(plan.imageStart[Int(image)] + within)]
            if let id = plan.annotationIDs[Int(ref.file)][Int(ref.index)] { annotationIDs.append(id) }
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
