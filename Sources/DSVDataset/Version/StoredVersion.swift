import Dispatch
import DSVNative
import DSVStorage

/// A version as stored in the repository: its commit, `dataset.json`, and lazy access to the
/// header, the order stream and the shards. Shards are read by number, so a diff can read only
/// those whose blob ids differ.
public struct StoredVersion: Sendable {
    static let headerFile = "header.zst"
    static let orderFile = "order.zst"
    static let subsetsFolder = "subsets"

    public let commit: GitCommit
    public let summary: DatasetSummary
    let shardsTree: GitObjectID
    /// Each subset's header and order stream blobs, by subset name.
    let subsetBlobs: [String: (header: GitObjectID, order: GitObjectID)]
    let repository: DatasetRepository

    /// Reads the version at `commitID`; a commit that is not a dsv version is `corruptVersion`.
    public init(repository: DatasetRepository, commitID: GitObjectID) throws(RepositoryError) {
        self.repository = repository
        (commit, summary, subsetBlobs, shardsTree) = try RepositoryError.mapping {
            let commit = try repository.git.commit(commitID)
            let root = try repository.git.tree(commit.tree)
            func entry(_ name: String, in tree: [GitTreeEntry] = root, path: String = "") throws(RepositoryError) -> GitTreeEntry {
                guard let found = tree.first(where: { $0.name == name }) else {
                    throw .corruptVersion("\(commitID.short) has no \(path)\(name); is it a dsv version?")
                }
                return found
            }
            let database = try repository.git.objectDatabase()
            let summary: DatasetSummary
            do { summary = try DatasetSummary(decoding: try database.read(try entry("dataset.json").id)) }
            catch let error as ShardCodec.Corrupt {
                throw RepositoryError.corruptVersion("\(commitID.short): unreadable dataset.json" + (error.reason.map { ": \($0)" } ?? ""))
            }
            var blobs: [String: (header: GitObjectID, order: GitObjectID)] = [:]
            var subsetsFolder: [GitTreeEntry]?
            for counts in summary.subsets {
                let name = counts.subset.name
                if counts.subset.isDefault {
                    blobs[name] = (try entry(Self.headerFile).id, try entry(Self.orderFile).id)
                } else {
                    let named = try subsetsFolder ?? repository.git.tree(try entry(Self.subsetsFolder).id)
                    subsetsFolder = named
                    let folder = try repository.git.tree(try entry(name, in: named, path: "\(Self.subsetsFolder)/").id)
                    let path = "\(Self.subsetsFolder)/\(name)/"
                    blobs[name] = (try entry(Self.headerFile, in: folder, path: path).id, try entry(Self.orderFile, in: folder, path: path).id)
                }
            }
            return (commit, summary, blobs, try entry("shards").id)
        }
    }

    /// Blob id of each non-empty shard, by shard number in the version's layout (reads the
    /// `shards/dd` trees).
    public func shardBlobs() throws(RepositoryError) -> [Int: GitObjectID] {
        try shardBlobs(skipping: [])
    }

    /// The blob ids of the shards two versions may not share: both versions' shards but those in
    /// a `shards/dd` directory whose tree is the same on both sides, as git's tree diff skips
    /// equal trees. Every shard of each when their layouts differ (shard numbers then say
    /// nothing). A round that touched 1% of the images reads a third of the trees.
    public static func shardBlobs(differing old: StoredVersion, _ new: StoredVersion)
        throws(RepositoryError) -> (old: [Int: GitObjectID], new: [Int: GitObjectID]) {
        guard old.summary.shardLayout == new.summary.shardLayout, old.repository.path == new.repository.path else {
            return (try old.shardBlobs(), try new.shardBlobs())
        }
        let (oldDirectories, newDirectories) = try RepositoryError.mapping {
            (try old.repository.git.tree(old.shardsTree), try new.repository.git.tree(new.shardsTree))
        }
        let newIDs = Dictionary(newDirectories.map { ($0.name, $0.id) }) { a, _ in a }
        let same = Set(oldDirectories.filter { newIDs[$0.name] == $0.id }.map(\.name))
        return (try old.shardBlobs(skipping: same), try new.shardBlobs(skipping: same))
    }

    private func shardBlobs(skipping skipped: Set<String>) throws(RepositoryError) -> [Int: GitObjectID] {
        var blobs: [Int: GitObjectID] = [:]
        blobs.reserveCapacity(expectedShards)
        for (number, id) in try shardBlobList(skipping: skipped) { blobs[number] = id }
        return blobs
    }

    /// How many shards the summary says the version has, bounded by its layout (a corrupt
    /// summary must not reserve without bound): room to reserve for their blob ids.
    private var expectedShards: Int { min(max(summary.shards, 0), summary.shardLayout.shardCount) }

    /// The shards' numbers and blob ids in ascending number, as the trees list them: git sorts a
    /// tree's entries by name, and the names are fixed-width lowercase hex. A checkout of 1.18M
    /// images reads its 468k so without a dictionary to build, sort and look up (0.08 s). A tree
    /// out of order (no git writes one) is a corrupt version.
    private func shardBlobList(skipping skipped: Set<String> = []) throws(RepositoryError) -> [(number: Int, id: GitObjectID)] {
        try RepositoryError.mapping {
            var blobs: [(number: Int, id: GitObjectID)] = []
            let layout = summary.shardLayout
            blobs.reserveCapacity(expectedShards)
            for directory in try repository.git.tree(shardsTree) where directory.isTree && !skipped.contains(directory.name) {
                for file in try repository.git.tree(directory.id) {
                    guard let number = layout.shard(directory: directory.name, name: file.name),
                          number > blobs.last?.number ?? -1 else {
                        throw RepositoryError.corruptVersion("\(commit.id.short): unexpected shards/\(directory.name)/\(file.name)")
                    }
                    blobs.append((number, file.id))
                }
            }
            return blobs
        }
    }

    /// The version's manifest digest (`sha256:…`).
    public var manifest: String { summary.manifest }

    /// The version's subsets, in the order of their names.
    public var subsets: [Subset] { summary.subsets.map(\.subset) }

    /// The subset called `name`, or `unknownSubset` naming those the version has.
    public func subset(named name: String) throws(RepositoryError) -> Subset {
        guard let subset = subsets.first(where: { $0.name == name }) else {
            throw .unknownSubset(name, available: subsets.map(\.name))
        }
        return subset
    }

    /// The blobs of a subset's header and order stream (`init` found them for every subset).
    private func blobs(of name: String) throws(RepositoryError) -> (header: GitObjectID, order: GitObjectID) {
        subsetBlobs[try subset(named: name).name]!
    }

    /// A subset's header: its COCO document without images and annotations.
    public func header(of subset: String) throws(RepositoryError) -> [UInt8] {
        try decompressedBlob(try blobs(of: subset).header, what: "header of subset \(subset)")
    }

    /// Every subset's header, by subset name.
    public func headers() throws(RepositoryError) -> [(subset: String, header: [UInt8])] {
        var headers: [(subset: String, header: [UInt8])] = []
        for subset in subsets { headers.append((subset.name, try header(of: subset.name))) }
        return headers
    }

    public func order(of subset: String) throws(RepositoryError) -> OrderStream {
        try decodedOrder(try compressedBlob(try blobs(of: subset).order), of: subset)
    }

    /// A subset's order stream and header, their blobs read here and decompressed and decoded
    /// on another thread: at 1.18M images the order stream takes 0.07–0.17 s to decode, which a
    /// checkout spends meanwhile reading its shards' blob ids on one core.
    public func orderAndHeaderInBackground(of subset: String) throws(RepositoryError)
        -> BackgroundValue<(order: OrderStream, header: [UInt8]), RepositoryError> {
        let blobs = try blobs(of: subset)
        let (order, header) = (try compressedBlob(blobs.order), try compressedBlob(blobs.header))
        return BackgroundValue { () throws(RepositoryError) in
            (try decodedOrder(order, of: subset), try decompressed(header, what: "header of subset \(subset)"))
        }
    }

    private func decodedOrder(_ compressed: [UInt8], of subset: String) throws(RepositoryError) -> OrderStream {
        let what = "order stream of subset \(subset)"
        do { return try OrderStream.decode(try decompressed(compressed, what: what)) }
        catch { throw .corruptVersion("\(commit.id.short): corrupt \(what)") }
    }

    /// The records of the given shards (all by default), shard by shard in ascending number,
    /// keys ascending within: the manifest's ordinal order. Each worker decompresses shard after
    /// shard into the same memory, records copied out: a diff or status touches no more fresh
    /// memory than its records (every page the process touches for the first time costs a
    /// zero-fill, and on a virtual machine often more).
    public func records(shards wanted: [Int]? = nil) throws(RepositoryError) -> [[ImageRecord]] {
        try Self.records([(self, wanted, nil)])[0]
    }

    /// The records of several versions' shards, as `records(shards:)` gives each, read in one
    /// pass over the cores: a diff's two sides open the repository once per worker, not twice,
    /// and the cores stay busy across the change of side. `blobs` are the shards' blob ids when
    /// the caller has them already (`shardBlobs()`), else nil.
    public static func records(_ parts: [(version: StoredVersion, shards: [Int]?, blobs: [Int: GitObjectID]?)])
        throws(RepositoryError) -> [[[ImageRecord]]] {
        try decoded(parts, keepingBytes: false) { $0.records }
    }

    /// The given shards (all by default) decoded as flat views over their bytes, in ascending
    /// shard number.
    public func views(shards wanted: [Int]? = nil) throws(RepositoryError) -> [ShardView] {
        try Self.decoded([(self, wanted, nil)], keepingBytes: true) { $0 }[0]
    }

    /// The given shards of each version (all by default), through one `ShardReader` pass (one
    /// per repository, should the versions come from several), each version's in ascending
    /// shard number.
    private static func decoded<T>(_ parts: [(version: StoredVersion, shards: [Int]?, blobs: [Int: GitObjectID]?)],
                                   keepingBytes: Bool, _ transform: @escaping @Sendable (ShardView) -> T)
        throws(RepositoryError) -> [[T]] {
        guard let repository = parts.first?.version.repository else { return [] }
        if parts.contains(where: { $0.version.repository.path != repository.path }) {
            var values: [[T]] = []
            for part in parts { values += try decoded([part], keepingBytes: keepingBytes, transform) }
            return values
        }
        let trace = Trace()
        var numbers: [[Int]] = [], sources: [[ShardReader.Source]] = []
        for part in parts {
            if part.shards == nil && part.blobs == nil {
                let list = try part.version.shardBlobList()
                numbers.append(list.map(\.number))
                sources.append(list.map { .object($0.id) })
                continue
            }
            let blobs: [Int: GitObjectID]
            if let known = part.blobs { blobs = known } else { blobs = try part.version.shardBlobs() }
            numbers.append((part.shards ?? Array(blobs.keys)).sorted())
            sources.append(Self.sources(of: numbers.last!, blobs: blobs))
        }
        trace.mark("shard blob ids")
        var results = ShardReader.decode(sources, repository: repository.path, keepingBytes: keepingBytes, transform)
        trace.mark("read and decompress \(sources.reduce(0) { $0 + $1.count }) shards")
        var values: [[T]] = []
        for (index, part) in parts.enumerated() {
            // Taken out of `results`, so that `values` holds the only reference and can move.
            let partResults = results[index]
            results[index] = []
            values.append(try part.version.values(partResults, shards: numbers[index]))
        }
        return values
    }

    /// Where `ShardReader` finds the shards `numbers`, given the version's blob ids.
    static func sources(of numbers: [Int], blobs: [Int: GitObjectID]) -> [ShardReader.Source] {
        numbers.map { number in blobs[number].map(ShardReader.Source.object) ?? .empty }
    }

    /// What `ShardReader` made of this version's shards `numbers`, or the error that names the
    /// first it could not read. Moved out rather than copied: a copy of a shard view retains
    /// each of its arrays, and releasing the original releases them again, all long out of the
    /// cache (0.15 s for 468k views; 0.02 s moved).
    func values<T>(_ results: consuming [Result<T, any Error>], shards numbers: [Int]) throws(RepositoryError) -> [T] {
        var results = results
        if let failed = results.firstIndex(where: { if case .failure = $0 { true } else { false } }) {
            throw unreadableShard(numbers[failed])
        }
        // Popped from the end (a move), each into its place.
        let count = results.count
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            var index = count
            while let result = results.popLast() {
                index -= 1
                (buffer.baseAddress! + index).initialize(to: try! result.get())
            }
            initialized = count
        }
    }

    /// The error for this version's shard `number` that could not be read or decoded.
    func unreadableShard(_ number: Int) -> RepositoryError {
        .corruptVersion("\(commit.id.short): shard \(number) is unreadable or corrupt")
    }

    /// Every image's key, S3 pin (nil when it was not pinned) and subset, in the manifest's order.
    public func pinnedImages() throws(RepositoryError) -> [PinnedImage] {
        var images: [PinnedImage] = []
        for view in try views() {
            for record in 0..<view.count {
                images.append(PinnedImage(key: view.key(record), pin: view.pin(record), subset: view.subset(record)))
            }
        }
        return images
    }

    func decompressedBlob(_ id: GitObjectID, what: String) throws(RepositoryError) -> [UInt8] {
        try decompressed(try compressedBlob(id), what: what)
    }

    private func compressedBlob(_ id: GitObjectID) throws(RepositoryError) -> [UInt8] {
        do { return try repository.git.objectDatabase().read(id) } catch { throw .git(error) }
    }

    private func decompressed(_ blob: [UInt8], what: String) throws(RepositoryError) -> [UInt8] {
        do { return try Zstd.decompress(blob) } catch { throw .corruptVersion("\(commit.id.short): corrupt \(what)") }
    }

    /// The message the user wrote, without the `Dsv-Manifest` trailer.
    public var message: String { CommitMessage.userMessage(commit.message) }
}

/// An image's key (its `file_name`), what pins its bytes in S3, and its subset.
public struct PinnedImage: Sendable, Equatable {
    public var key: String
    public var pin: ObjectPin?
    public var subset: String
}

/// Commit messages of versions end with a `Dsv-Manifest: sha256:<hex>` trailer.
public enum CommitMessage {
    public static let trailer = "Dsv-Manifest"

    /// A message's first line (its first that is not empty), as `log --oneline`, `tags` and a
    /// commit's reflog show it.
    public static func subject(_ message: String) -> String { String(message.split(separator: "\n").first ?? "") }

    public static func compose(_ message: String, manifest: String) -> String {
        var text = message
        while text.hasSuffix("\n") { text.removeLast() }
        return "\(text)\n\n\(trailer): \(manifest)\n"
    }

    public static func manifest(in message: String) -> String? {
        for line in message.split(separator: "\n").reversed() where line.hasPrefix("\(trailer): ") {
            return String(line.dropFirst(trailer.count + 2))
        }
        return nil
    }

    public static func userMessage(_ message: String) -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.isEmpty || last.hasPrefix("\(trailer): ") { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
