import DSVNative
import DSVStorage

/// `dsv status`: exports on disk against a version (HEAD), before committing. The exports are
/// built into shards exactly as a commit would (unchanged shards are found in the shard cache and not
/// compressed), nothing is written, and only the shards whose ids differ are compared.
///
/// S3 is not listed: each image keeps the pin the version has for its key, so that an image
/// whose labels did not change is unchanged (as the commit will find it, unless S3 changed).
public enum StatusOperation {
    /// - Parameter subset: the subset of the loose JSON files, as `commit --subset` takes it.
    public static func run(exports paths: [String], subset: String? = nil, against version: StoredVersion?,
                           in repository: DatasetRepository) throws(CommitError) -> VersionDiff {
        try run(sources: paths.map { ExportSource(path: $0) }, subset: subset, against: version, in: repository)
    }

    /// The same for sources that may say more than their path (the exports of CVAT jobs).
    /// - Parameter leaving: handed what the status built and a caller about to exit may leave to
    ///   the exit rather than free: the exports' mappings, the plan and the built shards (their
    ///   unmapping took 1.5–2 ms of a 40 ms status of 10k images, after the comparison).
    public static func run(sources: [ExportSource], subset: String? = nil, against version: StoredVersion?,
                           in repository: DatasetRepository, leaving: (Any) -> Void = { _ in }) throws(CommitError) -> VersionDiff {
        // The sources' SHA-256 is for a commit's dataset.json; a status does not need it.
        let opened = try ExportInput.open(sources, subset: subset, hashSources: false)
        leaving(opened)
        // The annotations the last commit read are looked up as a commit would (and left as they
        // are): besides the parsing they save, a record's fingerprint takes their digests, so
        // only with them are the unchanged shards recognised in the shard cache.
        let cache = ShardCache(repository: repository)
        let known = KnownAnnotations(ElementCache(path: ElementCache.path(in: repository), key: ElementKey(derivedFrom: cache.key)))
        // HEAD's shard blob ids and category names, read from its trees and headers on another
        // thread while the exports are read (a millisecond or two of a 10k-image status, which
        // leaves a core idle at times), and taken before anything else here reads the
        // repository: libgit2 is never used from two threads at once.
        let headSide = version.map { version in
            BackgroundValue { () throws(RepositoryError) in (try version.shardBlobs(), try VersionDiff.categories(version)) }
        }
        let plan = try ExportInput.read(opened, previous: version, known: known)
        leaving(plan)
        let oldBlobs: [Int: GitObjectID]
        let oldCategories: VersionDiff.CategoryNames
        do { (oldBlobs, oldCategories) = try headSide?.value() ?? ([:], [:]) } catch { throw .repository(error) }
        let reuse: ShardReuse
        do {
            reuse = try ShardReuse(cache: cache, repository: repository.git, head: version?.commit.id)
        } catch { throw .repository(.git(error)) }
        var pins: [ExactKey: ObjectPin] = [:]
        if let version, version.summary.objectsPinned > 0 {
            do { for image in try version.pinnedImages() { pins[ExactKey(image.key)] = image.pin } } catch { throw .repository(error) }
        }
        let content: VersionContent
        do {
            content = try VersionBuilder.build(plan, imagesPrefix: version?.summary.imagesPrefix,
                                               pins: pins, reuse: reuse, storing: false)
        } catch { throw .compression(error) }
        leaving(content)
        // The exports' pages are not given back here: a caller about to exit leaves them, with
        // the rest, to the process that unmaps the memory after it
        // (`ProcessEnvironment.exitLeavingMemory`). Given back on another thread once compared,
        // as they were, the exit waited for that thread's unmapping to end.

        let trace = Trace()
        var newCategories: VersionDiff.CategoryNames = [:]
        for subset in content.subsets { newCategories[subset.subset.name] = VersionDiff.categories(subset.header) }
        // A renamed category changes annotations whose bytes did not change: as a diff does
        // after the commit, every shard is then read and every record compared.
        let renamed = VersionDiff.renamesCategories(oldCategories, newCategories)
        // The working shards that differ and HEAD's, decoded on all cores in one pass: the
        // working ones encoded there, or from the repository for those the cache knew.
        func source(_ shard: VersionContent.Shard) -> ShardReader.Source {
            if let blobID = shard.blobID { return .object(blobID) }
            return content.encoder == nil ? .empty : .encoding(shard.number)
        }
        let emptySummary = DatasetSummary(manifest: "", imagesPrefix: nil, images: 0, annotations: 0, categories: [],
                                          objectsPinned: 0, shards: 0, sources: [])
        let from = VersionDiff.Side(name: version?.commit.id.hex ?? "", summary: version?.summary ?? emptySummary)
        let to = VersionDiff.Side(name: "working", summary: content.summary)
        if let version, version.summary.shardLayout == content.summary.shardLayout, !renamed {
            // Of one layout, a number's two shards hold the same keys: read side by side, the
            // records equal byte for byte are left out before they are copied, and the others
            // compared while their shards are at hand. A pair is read when the working shard
            // was not known (it is encoded when compared: records that turn out equal show no
            // change, all a cold cache costs is reading more), when its blob differs from
            // HEAD's, or when only HEAD has the number — found in one pass over each side.
            var pairs: [(number: Int, old: ShardReader.Source?, new: ShardReader.Source?)] = []
            var workingNumbers = Set<Int>(minimumCapacity: content.shards.count)
            for shard in content.shards {
                workingNumbers.insert(shard.number)
                let old = oldBlobs[shard.number]
                if shard.blobID == nil || shard.blobID != old { pairs.append((shard.number, old.map(ShardReader.Source.object), source(shard))) }
            }
            let read = pairs.count
            for (number, id) in oldBlobs where !workingNumbers.contains(number) { pairs.append((number, .object(id), nil)) }
            pairs.sort { $0.number < $1.number }
            trace.mark("the shards to read")
            do {
                var diff = try VersionDiff.compare(from: from, to: to, pairs: pairs.map { ($0.old, $0.new) }, encoder: content.encoder,
                                                   repository: repository.path, oldCategories: oldCategories, newCategories: newCategories)
                diff.shardsRead = read
                return diff
            } catch {
                if error.newSide { throw .repository(.corruptVersion("cannot read back working shard \(pairs[error.index].number)")) }
                throw .repository(version.unreadableShard(pairs[error.index].number))
            }
        }
        let newShards = Dictionary(content.shards.map { ($0.number, $0) }) { a, _ in a }
        // The shards the cache knew have their blob ids; the others were not encoded, and are
        // compared record by record (see above).
        let encoded = content.shards.filter { $0.blobID == nil }.map(\.number)
        var (oldChanged, changed) = VersionDiff.changedShards(oldBlobs, version?.summary.shardLayout ?? content.summary.shardLayout,
                                                              newShards.compactMapValues(\.blobID), content.summary.shardLayout,
                                                              all: renamed)
        if !encoded.isEmpty {
            changed = Array(Set(changed).union(encoded)).sorted()
            oldChanged = Array(Set(oldChanged).union(encoded.filter { oldBlobs[$0] != nil })).sorted()
        }
        var newRecords: [ImageRecord] = [], oldRecords: [ImageRecord] = []
        let newSources = changed.compactMap { newShards[$0] }.map(source)
        let oldSources = version == nil ? [] : StoredVersion.sources(of: oldChanged, blobs: oldBlobs)
        let decoded = ShardReader.decode([newSources, oldSources], encoder: content.encoder, repository: repository.path,
                                         keepingBytes: false) { $0.records }
        trace.mark("read \(newSources.count) working shards, read and decompress \(oldSources.count) shards")
        do {
            for result in decoded[0] { newRecords += try result.get() }
        } catch {
            throw .repository(.corruptVersion("cannot read back a working shard: \(error)"))
        }
        if let version {
            do { oldRecords = try version.values(decoded[1], shards: oldChanged).flatMap { $0 } } catch { throw .repository(error) }
        }
        return VersionDiff.compare(from: from, to: to, oldRecords: oldRecords, newRecords: newRecords,
                                   oldCategories: oldCategories, newCategories: newCategories,
                                   shardsRead: changed.count, compareEqualRecords: renamed)
    }
}
