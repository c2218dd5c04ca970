import DSVJSON
import DSVNative
import DSVStorage

/// The difference between two versions, image by image and annotation by annotation (SPEC §6).
/// Computed from the manifests alone: shards whose blob ids are equal are skipped without being
/// read, so the cost grows with what changed.
public struct VersionDiff: Sendable {
    public enum ImageStatus: String, Sendable { case added, removed, modified }

    public struct ImageChange: Sendable {
        public var key: String
        public var status: ImageStatus
        public var annotations: AnnotationChanges
        /// Changed fields of the image object itself (ids aside).
        public var fields: [FieldChange]
        public var pin: (from: ObjectPin?, to: ObjectPin?)?
        /// The image's subset in the old and the new version (nil on the side it is absent from).
        public var subsets: (from: String?, to: String?)
        /// The object to show for this image: the new version's, or the old one's when the
        /// image was removed (nil when not pinned).
        public var shownPin: ObjectPin?
        /// The image object shown: the new version's, or the old one's when it was removed.
        public var shownImage: ObjectTemplate

        /// The shown image's declared `width` and `height`, as written: COCO places every shape
        /// in this space, whatever size the stored picture has. Nil where the record has no
        /// numeric pair. Parsed when asked for (the JSON review), not for every changed image
        /// of a text review.
        public var declaredSize: (width: JSONValue, height: JSONValue)? { VersionDiff.declaredSize(of: shownImage) }

        /// A change of nothing, left where a change was moved out (`inKeyOrder`).
        static let placeholder = ImageChange(key: "", status: .modified, annotations: AnnotationChanges(from: [], to: []), fields: [],
                                             pin: nil, subsets: (nil, nil), shownPin: nil, shownImage: ObjectTemplate(bytes: []))
    }

    /// Category id → name, per subset (each subset has its own header and categories).
    public typealias CategoryNames = [String: [(IDKey, String)]]

    public struct Side: Sendable {
        /// A commit id, or "working" for an export on disk.
        public var name: String
        public var summary: DatasetSummary
    }

    public var from: Side
    public var to: Side
    /// Changed images sorted by key.
    public var images: [ImageChange]
    public var categoriesAdded: [String]
    public var categoriesRemoved: [String]
    /// Shards read (both sides), to show what the diff cost.
    public var shardsRead: Int
    /// Set when `filtered` narrowed the changes: counts then describe what is shown.
    public var filter: String?

    // MARK: Summary

    public var imagesAdded: Int { imageCount(.added) }
    public var imagesRemoved: Int { imageCount(.removed) }
    public var imagesModified: Int { imageCount(.modified) }
    public var imagesUnchanged: Int { to.summary.images - imagesAdded - imagesModified }

    /// Read in place: `count(where:)` copied every change (a dozen references each) to look at
    /// its status, and a review asks five times.
    private func imageCount(_ status: ImageStatus) -> Int {
        images.withUnsafeBufferPointer { changes in
            var count = 0
            for index in changes.indices where changes[index].status == status { count += 1 }
            return count
        }
    }
    public var annotationsAdded: Int { images.reduce(0) { $0 + $1.annotations.added.count } }
    public var annotationsRemoved: Int { images.reduce(0) { $0 + $1.annotations.removed.count } }
    public var annotationsModified: Int { images.reduce(0) { $0 + $1.annotations.modified.count } }
    public var annotationsRelabeled: Int { images.reduce(0) { $0 + $1.annotations.relabeled.count } }
    public var annotationsUnchanged: Int {
        to.summary.annotations - annotationsAdded - annotationsModified - annotationsRelabeled
    }
    public var objectsChanged: Int { images.count { $0.pin != nil } }
    public var isEmpty: Bool { images.isEmpty && categoriesAdded.isEmpty && categoriesRemoved.isEmpty }

    /// A count by name before and after.
    public typealias CountChange = (name: String, before: Int, after: Int)

    /// Annotations per category before and after, by name.
    public var categoryCounts: [CountChange] {
        Self.countChanges(from.summary.categories.map { ($0.name, $0.annotations) },
                          to.summary.categories.map { ($0.name, $0.annotations) })
    }

    /// Images per subset before and after, by name.
    public var subsetCounts: [CountChange] {
        Self.countChanges(from.summary.subsets.map { ($0.subset.name, $0.images) },
                          to.summary.subsets.map { ($0.subset.name, $0.images) })
    }

    /// Counts by name on both sides, in the new side's order then the names only the old one has.
    static func countChanges(_ old: [(String, Int)], _ new: [(String, Int)]) -> [CountChange] {
        let before = Dictionary(old) { a, _ in a }, after = Dictionary(new) { a, _ in a }
        var names = new.map(\.0)
        for (name, _) in old where after[name] == nil { names.append(name) }
        return names.map { ($0, before[$0] ?? 0, after[$0] ?? 0) }
    }

    // MARK: Computing

    /// Diffs two stored versions.
    public static func between(_ old: StoredVersion, _ new: StoredVersion) throws(RepositoryError) -> VersionDiff {
        let trace = Trace()
        let oldCategories = try categories(old), newCategories = try categories(new)
        let renamed = renamesCategories(oldCategories, newCategories)
        let (oldBlobs, newBlobs) = renamed ? (try old.shardBlobs(), try new.shardBlobs())
            : try StoredVersion.shardBlobs(differing: old, new)
        trace.mark("categories and the shard trees that differ")
        // Of one layout, the shards of a number hold the same keys: read side by side, records
        // equal byte for byte are left out before they are copied, and the others compared
        // while their shards are at hand.
        if !renamed && old.summary.shardLayout == new.summary.shardLayout && old.repository.path == new.repository.path {
            let numbers = differingShards(oldBlobs, newBlobs)
            let pairs = numbers.map { (oldBlobs[$0].map(ShardReader.Source.object), newBlobs[$0].map(ShardReader.Source.object)) }
            do {
                return try compare(from: Side(name: old.commit.id.hex, summary: old.summary), to: Side(name: new.commit.id.hex, summary: new.summary),
                                   pairs: pairs, repository: old.repository.path, oldCategories: oldCategories, newCategories: newCategories)
            } catch {
                throw (error.newSide ? new : old).unreadableShard(numbers[error.index])
            }
        }
        let (oldChanged, newChanged) = changedShards(oldBlobs, old.summary.shardLayout, newBlobs, new.summary.shardLayout,
                                                     all: renamed)
        let records = try StoredVersion.records([(old, oldChanged, oldBlobs), (new, newChanged, newBlobs)])
        let (oldShards, newShards) = (records[0], records[1])
        return compare(from: Side(name: old.commit.id.hex, summary: old.summary), to: Side(name: new.commit.id.hex, summary: new.summary),
                       oldRecords: oldShards.flatMap { $0 }, newRecords: newShards.flatMap { $0 },
                       oldCategories: oldCategories, newCategories: newCategories,
                       shardsRead: oldShards.count + newShards.count, compareEqualRecords: renamed)
    }

    /// Whether a category id of a subset names something else on the new side (a rename): that
    /// changes every annotation of it without changing a byte of the shards, so then every
    /// shard is read and every record compared.
    static func renamesCategories(_ old: CategoryNames, _ new: CategoryNames) -> Bool {
        new.contains { subset, categories in
            let oldNames = Dictionary(old[subset] ?? []) { a, _ in a }
            return categories.contains { id, name in oldNames[id].map { $0 != name } ?? false }
        }
    }

    /// The shards of each side to read: those whose blob differs at the same number, or every
    /// shard when the layouts differ (a version on each side of a size threshold, or of the
    /// format change): then shard numbers say nothing, and records are matched by key alone.
    public static func changedShards(_ old: [Int: GitObjectID], _ oldLayout: ShardLayout, _ new: [Int: GitObjectID],
                                     _ newLayout: ShardLayout, all: Bool = false) -> (old: [Int], new: [Int]) {
        if all || oldLayout != newLayout { return (old.keys.sorted(), new.keys.sorted()) }
        let changed = differingShards(old, new)
        return (changed.filter { old[$0] != nil }, changed.filter { new[$0] != nil })
    }

    /// The numbers whose blob differs between two versions of one layout (or that only one
    /// has), ascending. One lookup per shard, no sets: at train2017's 54k shards a side,
    /// building and joining two sets of numbers took 10 ms of a 1%-apart diff's 95.
    static func differingShards(_ old: [Int: GitObjectID], _ new: [Int: GitObjectID]) -> [Int] {
        var changed: [Int] = []
        for (number, id) in old where new[number] != id { changed.append(number) }
        for number in new.keys where old[number] == nil { changed.append(number) }
        return changed.sorted()
    }

    /// Diffs records already decoded (both sides restricted to the shards that differ).
    static func compare(from: Side, to: Side, oldRecords: [ImageRecord], newRecords: [ImageRecord],
                        oldCategories: CategoryNames, newCategories: CategoryNames,
                        shardsRead: Int, compareEqualRecords: Bool = false) -> VersionDiff {
        let trace = Trace()
        // Records are found by key through their positions and read in place: copying each
        // (a dozen references) into a dictionary, out of it and into its comparison was the
        // largest part of a wide diff's reference counting.
        let oldByKey = Self.positions(oldRecords), newByKey = Self.positions(newRecords)
        var keys = Array(Set(oldByKey.keys).union(newByKey.keys))
        keys.sort { ShardLayout.keyPrecedes($0.string, $1.string) }
        let matching = Matching(oldCategories, newCategories, compareEqualRecords: compareEqualRecords)
        trace.mark("index \(keys.count) keys")
        // Images are compared on all cores, in runs of keys, and kept in key order: runs of 32,
        // as a changed image takes about 15 µs and a 1%-apart status of 10k images has 184.
        let sortedKeys = keys
        let images = oldRecords.withUnsafeBufferPointer { old in
            newRecords.withUnsafeBufferPointer { new in
                let (old, new) = (RecordsInPlace(old), RecordsInPlace(new))
                return Parallel.map(keys.count, chunk: 32) { index in
                    let key = sortedKeys[index]
                    return matching.change(key: key.string, from: old[oldByKey[key]], to: new[newByKey[key]])
                }
            }
        }.compactMap { $0 }
        trace.mark("compare \(keys.count) images, \(images.count) changed")
        return VersionDiff(from: from, to: to, images: images, oldCategories: oldCategories, newCategories: newCategories,
                           shardsRead: shardsRead)
    }

    /// Diffs two sides of one layout from the pairs of shards whose blobs differ (the same
    /// number on each side, nil where a side has none): each pair is read and its differing
    /// records compared by the worker that decoded it, while its bytes are in the cache. Read
    /// first and compared after, each side's records were copied twice more, indexed by key
    /// in one thread and compared in a second pass over the cores.
    static func compare(from: Side, to: Side, pairs: [(ShardReader.Source?, ShardReader.Source?)], encoder: ShardEncoder? = nil,
                        repository: String, oldCategories: CategoryNames,
                        newCategories: CategoryNames) throws(ShardReader.UnreadablePair) -> VersionDiff {
        let trace = Trace()
        let matching = Matching(oldCategories, newCategories, compareEqualRecords: false)
        let changes = try ShardReader.pairs(pairs, encoder: encoder, repository: repository) { old, new in
            var changes: [ImageChange] = []
            ShardView.forEachDifferingPair(old, new) { a, b in
                if let change = matching.change(from: a, to: b) { changes.append(change) }
            }
            return changes
        }
        let images = inKeyOrder(changes)
        let shardsRead = pairs.reduce(0) { $0 + ($1.0 == nil ? 0 : 1) + ($1.1 == nil ? 0 : 1) }
        trace.mark("read, decompress and compare \(shardsRead) shards, \(images.count) images changed")
        return VersionDiff(from: from, to: to, images: images, oldCategories: oldCategories, newCategories: newCategories,
                           shardsRead: shardsRead)
    }

    /// The changes of every pair of shards (each in key order) in one list in key order.
    static func inKeyOrder(_ changes: consuming [[ImageChange]]) -> [ImageChange] {
        var lists = changes
        // Sorted as places by their keys taken out once, into one list: read through the
        // lists, each comparison copied two changes (a dozen references each), and then two
        // lists and two keys, to look at the keys.
        var places: [(list: Int32, index: Int32)] = []
        places.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        for list in lists.indices { for index in lists[list].indices { places.append((Int32(list), Int32(index))) } }
        // The keys' bytes one after the other: compared in place, no string is retained.
        var bytes: [UInt8] = [], ends: [Int] = []
        ends.reserveCapacity(places.count)
        for place in places {
            bytes.append(contentsOf: lists[Int(place.list)][Int(place.index)].key.utf8)
            ends.append(bytes.count)
        }
        var order = Array(0..<Int32(places.count))
        bytes.withUnsafeBufferPointer { bytes in
            func key(_ place: Int32) -> UnsafeBufferPointer<UInt8> {
                let start = place == 0 ? 0 : ends[Int(place) - 1]
                return UnsafeBufferPointer(rebasing: bytes[start..<ends[Int(place)]])
            }
            order.sort { ShardLayout.keyOrder(key($0), key($1)) < 0 }
        }
        // Each change moved out of its list, a placeholder left in its place: copied, its dozen
        // references were counted up, and down again as the lists were freed, on one core
        // while the other waited.
        var ordered: [ImageChange] = []
        ordered.reserveCapacity(order.count)
        for position in order {
            let place = places[Int(position)]
            var change = ImageChange.placeholder
            swap(&change, &lists[Int(place.list)][Int(place.index)])
            ordered.append(change)
        }
        return ordered
    }

    /// Each record's position by key (the first, should a key repeat).
    static func positions(_ records: [ImageRecord]) -> [ExactKey: Int] {
        var positions: [ExactKey: Int] = [:]
        positions.reserveCapacity(records.count)
        for index in records.indices where positions[ExactKey(records[index].key)] == nil { positions[ExactKey(records[index].key)] = index }
        return positions
    }

    /// Category names of every subset, each once, in subset order then header order.
    static func names(_ categories: CategoryNames) -> [String] {
        var seen: Set<String> = []
        return categories.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .flatMap { categories[$0]!.map(\.1) }.filter { seen.insert($0).inserted }
    }

    /// Category id → name of each subset of a stored version.
    static func categories(_ version: StoredVersion) throws(RepositoryError) -> CategoryNames {
        var names: CategoryNames = [:]
        for (subset, header) in try version.headers() { names[subset] = categories(header) }
        return names
    }

    /// Category id → name from a stored header.
    static func categories(_ header: [UInt8]) -> [(IDKey, String)] {
        guard let document = try? JSONValue.parse(header), let items = document["categories"]?.arrayValue else { return [] }
        return items.compactMap { item in
            guard let id = item["id"] else { return nil }
            return (IDKey(id), item["name"]?.stringValue ?? IDKey(id).description)
        }
    }

    // MARK: Filtering

    /// Only images under `prefix`, in `subset` (on either side), and annotation changes touching
    /// `category` (either side).
    public func filtered(pathPrefix: String?, category: String?, subset: String? = nil) -> VersionDiff {
        // No filter: the changes as they are (not a copy of each, thousands in a wide diff).
        if pathPrefix == nil && category == nil && subset == nil { return self }
        var copy = self
        let filters = [pathPrefix.map { "path \($0)" }, subset.map { "subset \($0)" }, category.map { "category \($0)" }].compactMap { $0 }
        if !filters.isEmpty { copy.filter = filters.joined(separator: ", ") }
        copy.images = images.compactMap { image in
            if let pathPrefix, !image.key.utf8.starts(with: pathPrefix.utf8) { return nil }  // bytes, as keys compare
            if let subset, image.subsets.from != subset && image.subsets.to != subset { return nil }
            guard let category else { return image }
            var filteredImage = image
            var changes = image.annotations
            changes.added = changes.added.filter { $0.category == category }
            changes.removed = changes.removed.filter { $0.category == category }
            changes.modified = changes.modified.filter { $0.from.category == category || $0.to.category == category }
            changes.relabeled = changes.relabeled.filter { $0.from.category == category || $0.to.category == category }
            filteredImage.annotations = changes
            return changes.isEmpty ? nil : filteredImage
        }
        return copy
    }
}

extension VersionDiff.ImageChange {
    /// The subsets of an image that moved between them (e.g. Validation → Train), or nil.
    public var subsetMove: (from: String, to: String)? {
        guard let from = subsets.from, let to = subsets.to, from != to else { return nil }
        return (from, to)
    }
}

extension VersionDiff {
    /// A diff of the changed `images`, with the categories each side has that the other lacks.
    /// (In an extension: the memberwise initializer stays.)
    init(from: Side, to: Side, images: [ImageChange], oldCategories: CategoryNames, newCategories: CategoryNames, shardsRead: Int) {
        let oldList = Self.names(oldCategories), newList = Self.names(newCategories)
        let oldSet = Set(oldList), newSet = Set(newList)
        self.init(from: from, to: to, images: images,
                  categoriesAdded: newList.filter { !oldSet.contains($0) },
                  categoriesRemoved: oldList.filter { !newSet.contains($0) },
                  shardsRead: shardsRead, filter: nil)
    }
}
