import DSVNative
import DSVStorage

/// `dsv commit`: read and validate the exports, build the version, write its objects as one
/// pack, write the commit, and move the branch last with compare-and-swap, all under the
/// repository's write lock. A crash at any point before the branch moves leaves the previous
/// version as HEAD; the objects already written are unreachable and harmless.
public enum CommitOperation {
    public struct Request: Sendable {
        public var exports: [String]
        public var message: String
        public var imagesPrefix: String?
        /// Pins given directly (tests); with `s3` set, pins come from listing the prefix instead.
        public var pins: [ExactKey: ObjectPin]
        /// Where to list the images prefix; nil pins nothing.
        public var s3: S3Configuration?
        /// Commit even when some images have no object under the prefix.
        public var allowMissing: Bool
        /// The subset of the loose JSON files (`--subset`); nil: named by the files.
        public var subset: String?
        /// Only these image keys are pinned, found by listing only this location (the frames of
        /// the CVAT tasks whose data is in the images' bucket); nil: every image, under the prefix.
        public var pinScope: (keys: Set<ExactKey>, listing: S3Location)?
        /// Where the version came from, when it came straight from CVAT.
        public var provenance: CVATProvenance?
        /// How the objects are compressed: the format's settings but in tests, which stand in
        /// for a repository another dsv or another zstd wrote.
        var compression = VersionContent.compression

        public init(exports: [String], message: String, imagesPrefix: String? = nil, pins: [ExactKey: ObjectPin] = [:],
                    s3: S3Configuration? = nil, allowMissing: Bool = false, subset: String? = nil) {
            self.exports = exports
            self.subset = subset
            self.message = message
            self.imagesPrefix = imagesPrefix
            self.pins = pins
            self.s3 = s3
            self.allowMissing = allowMissing
        }
    }

    /// What a commit made.
    public struct Committed: Sendable {
        public var commit: GitObjectID
        public var summary: DatasetSummary
        public var objectsWritten: Int
        public var bytesWritten: Int
        /// Images with no object under the prefix (committed with `allowMissing`).
        public var missingObjects: [String]
        /// Copies of frames that overlapping exports shared, kept once.
        public var sharedImages: Int
    }

    public enum Outcome: Sendable {
        case committed(Committed)
        /// The content equals HEAD's: no commit was made.
        case nothingChanged(head: GitObjectID, sharedImages: Int)
    }

    /// A commit as ARCHITECTURE.md's "A commit" tells it: lock, read the exports against HEAD,
    /// pin, build the shards, write the version, move the branch, then what only saves work
    /// (caches, housekeeping).
    /// - Parameter opened: `request.exports`, already opened (`ExportInput.open`) so that their
    ///   hashing started before the repository was; nil opens them here.
    public static func run(_ request: Request, in repository: DatasetRepository, author: GitSignature? = nil,
                           opened: ExportInput.Opened? = nil) throws(CommitError) -> Outcome {
        let trace = Trace()
        let lock: FileLock
        do { lock = try repository.lockForWriting() } catch { throw .repository(error) }
        defer { lock.release() }
        let (head, previous) = try headVersion(of: repository)
        trace.mark("lock and previous version")
        let input: ExportInput.Opened
        if let opened { input = opened } else { input = try ExportInput.open(request.exports, subset: request.subset) }
        let sources = input.sources
        defer { sources.cancel() }
        // The shard cache's key is also the annotations': read it first.
        var cache = ShardCache(repository: repository)
        let elements = (key: ElementKey(derivedFrom: cache.key), path: ElementCache.path(in: repository))
        trace.mark("load shard cache")
        // The annotations the last commit read, let go once read (the file is rewritten in place).
        let plan = try ExportInput.read(input, previous: previous,
                                        known: KnownAnnotations(ElementCache(path: elements.path, key: elements.key)))
        trace.mark("read, validate and plan exports")
        let (pins, missing) = try pinImages(plan, request, trace: trace)
        let reuse = try shardReuse(cache, repository: repository, head: head, previous: previous)
        trace.mark("shard reuse")
        // New shards go into the pack as they are compressed, not all held until the end.
        let pack: PackStream
        do { pack = try repository.newPack() } catch { throw .repository(error) }
        var content = try buildContent(plan, request, pins: pins, reuse: consume reuse, pack: pack)
        trace.mark("build shards")
        pack.startSyncing()
        let exports = plan.exports
        releaseInBackground(sources, exports)

        if let head, let previous, previous.manifest == content.summary.manifest,
           previous.summary.imagesPrefix == request.imagesPrefix, previous.subsets == content.subsets.map(\.subset) {
            // HEAD stores every shard: remember those the cache did not know.
            cache.append(content.cacheEntries(in: head, onlyNew: true))
            KnownAnnotations.save(exports, key: elements.key, to: elements.path)
            return .nothingChanged(head: head, sharedImages: plan.sharedImages)
        }

        // What the next round will know, written while the entries are at hand — on another
        // thread, beside the trees and the pack and the pages given back above (a millisecond
        // at 10k images; the 10k first commit's peak stayed 61.2–61.7 MB with both on other
        // threads) — and waited for on every way out: a commit that fails after this leaves a
        // cache of valid objects, which only saves work.
        let elementsWritten = BackgroundValue { () throws(Never) in
            KnownAnnotations.save(exports, key: elements.key, to: elements.path)
        }
        defer { elementsWritten.value() }

        let sharedImages = plan.sharedImages
        let version = try writeVersion(&content, plan: consume plan, in: repository, pack: pack, sources: sources, head: head,
                                       request: request, author: author ?? defaultAuthor(repository), trace: trace)
        do {
            try repository.advanceBranch(from: head, to: version.commit, message: "dsv commit: \(CommitMessage.subject(request.message))")
        } catch { throw .repository(error) }
        trace.mark("branch")
        remember(content, of: version.commit, in: &cache)
        trace.mark("shard cache")
        // Housekeeping, as git's auto-gc: the small packs and the loose objects merged once there
        // are too many. The version is committed already; a failure here only leaves more files.
        _ = try? Housekeeping.tidy(repository)
        trace.mark("housekeeping")
        if let prefix = request.imagesPrefix {
            do { try repository.setSetting("images", to: prefix) } catch { throw .repository(error) }
        }
        return .committed(Committed(commit: version.commit, summary: content.summary, objectsWritten: version.objects,
                                    bytesWritten: version.bytes, missingObjects: missing, sharedImages: sharedImages))
    }

    /// HEAD and the version it holds; nil for both on an unborn branch.
    private static func headVersion(of repository: DatasetRepository) throws(CommitError) -> (GitObjectID?, StoredVersion?) {
        do {
            guard let head = try repository.head() else { return (nil, nil) }
            return (head, try StoredVersion(repository: repository, commitID: head))
        } catch { throw .repository(error) }
    }

    /// The pins of the images under the request's prefix (none without one), and the keys with
    /// no object; missing objects end the commit unless the request allows them.
    private static func pinImages(_ plan: VersionPlan, _ request: Request,
                                  trace: Trace) throws(CommitError) -> ([ExactKey: ObjectPin], [String]) {
        guard let prefix = request.imagesPrefix, let s3 = request.s3 else { return (request.pins, []) }
        let (pins, missing) = try pin(plan, prefix: prefix, s3: s3, scope: request.pinScope)
        trace.mark("pin images in S3")
        if !missing.isEmpty && !request.allowMissing {
            throw .missingObjects(location: prefix, keys: Array(missing.prefix(20)), count: missing.count)
        }
        return (pins, missing)
    }

    /// What the shard cache lets this commit skip; when it knows nothing of HEAD (a fresh
    /// clone), HEAD's shards are compared by content instead.
    private static func shardReuse(_ cache: ShardCache, repository: DatasetRepository, head: GitObjectID?,
                                   previous: StoredVersion?) throws(CommitError) -> ShardReuse {
        do {
            var known = try ShardReuse(cache: cache, repository: repository.git, head: head)
            if let head, let previous, !known.knows(head) {
                // Only a shortcut: a HEAD unreadable here is reported where it is read for real.
                known.previous = try? PreviousShards(previous)
            }
            return known
        } catch { throw .repository(.git(error)) }
    }

    /// The version's content; its new shards go into `pack` as they are made.
    private static func buildContent(_ plan: VersionPlan, _ request: Request, pins: [ExactKey: ObjectPin],
                                     reuse: consuming ShardReuse, pack: PackStream) throws(CommitError) -> VersionContent {
        do {
            // With `reuse` consumed, the cache's table is the cache's alone, and learns the new
            // shards without being copied.
            return try VersionBuilder.build(plan, imagesPrefix: request.imagesPrefix, pins: pins, reuse: consume reuse,
                                            pack: pack, compression: request.compression)
        } catch { throw .compression(error) }
    }

    /// The new shards into the shard cache, under the commit whose tree holds them; the cache
    /// is rewritten with only the live ones once it holds too many others.
    private static func remember(_ content: VersionContent, of commit: GitObjectID, in cache: inout ShardCache) {
        cache.append(content.cacheEntries(in: commit, onlyNew: true))
        if ShardCache.needsCompaction(count: cache.entries.count, live: content.shards.count) {
            cache.compact(to: content.cacheEntries(in: commit, onlyNew: false))
        }
    }

    /// Nothing reads the exports' bytes any more: their pages are given back now (those the
    /// SHA-256 has yet to hash, as it does), not held through writing the pack — a commit's
    /// peak memory was there, the whole export still mapped — and on another thread, beside
    /// the trees and the pack: unmapping a 40k-image export took 5 ms on the way. A spaced
    /// export's minified copy (380 MB at train2017's size) goes likewise: freed with the plan
    /// at the end, its pages took 29 ms of a 0.55 s next round.
    private static func releaseInBackground(_ sources: SourceDigests, _ exports: [COCOExport]) {
        BackgroundRelease.perform {
            sources.release()
            exports.forEach { $0.releaseCopies() }
        }
    }

    /// Writes the version's trees, `dataset.json` (with the sources' digests, filled in here)
    /// and the commit; the branch does not move yet, so a crash leaves only unreachable objects.
    ///
    /// Everything below the root goes into the pack while the sources' SHA-256 may still be
    /// computing. dataset.json, the root tree and the commit follow into the same pack when
    /// the digests are done by the time it is finished, as they mostly are at 10k images: one
    /// file synced where three loose objects took six syncs and a folder or two, 2 ms of a
    /// 10k-image next round's 50. Otherwise (a large export still hashing) the pack is finished
    /// without waiting for them, and they are written loose once the digests are.
    private static func writeVersion(_ content: inout VersionContent, plan: consuming VersionPlan,
                                     in repository: DatasetRepository, pack: PackStream,
                                     sources: SourceDigests, head: GitObjectID?, request: Request, author: GitSignature,
                                     trace: Trace) throws(CommitError) -> (commit: GitObjectID, objects: Int, bytes: Int) {
        let (objects, rootEntries) = content.objectsBelowRoot()
        objects.forEach { pack.add($0) }
        trace.mark("trees")
        let rootInPack = sources.isReady
        do throws(RepositoryError) {
            var packed = (objects: 0, bytes: 0), loose = (objects: 0, bytes: 0)
            if !rootInPack {
                packed = try pack.finish()
                trace.mark("write pack")
            }
            // The exports' entries are freed on another thread, not at exit, while the commit is
            // written (2.7 ms of a 40k-image next round otherwise on its way), and the last of
            // their bytes may still be hashed; the element cache's writer holds the exports it reads.
            BackgroundRelease.drop(consume plan)
            content.summary.sources = sources.resolved
            content.summary.cvat = request.provenance
            let root = content.rootObjects(besides: rootEntries)
            let commit: GitObject
            do {
                commit = try GitObject.commit(tree: root.last!.id, parents: head.map { [$0] } ?? [], author: author,
                                              message: CommitMessage.compose(request.message, manifest: content.summary.manifest))
            } catch { throw .git(error) }
            if rootInPack {
                (root + [commit]).forEach { pack.add($0) }
                packed = try pack.finish()
                trace.mark("dataset.json, commit and pack")
            } else {
                loose = try repository.storeLoose(root + [commit])
                trace.mark("dataset.json and commit")
            }
            return (commit.id, packed.objects + loose.objects, packed.bytes + loose.bytes)
        } catch { throw .repository(error) }
    }

    /// Every image's object, resolved by listing the prefix once (pages, not one request per
    /// image) — or, with a scope, only the scope's keys, listing only its location. Returns the
    /// pins by image key and the keys with no object, sorted.
    static func pin(_ plan: VersionPlan, prefix: String, s3: S3Configuration,
                    scope: (keys: Set<ExactKey>, listing: S3Location)? = nil) throws(CommitError) -> ([ExactKey: ObjectPin], [String]) {
        let inventory: S3Inventory
        let location: S3Location
        do {
            location = try S3Location(url: prefix)
            inventory = try S3Inventory.list(scope?.listing ?? location, configuration: s3)
        } catch { throw .s3(error) }
        var pins: [ExactKey: ObjectPin] = [:]
        var missing: [String] = []
        for key in plan.keys where scope?.keys.contains(ExactKey(key)) ?? true {
            guard let object = inventory.current[ExactKey(location.key(for: key))] else {
                missing.append(location.key(for: key))
                continue
            }
            pins[ExactKey(key)] = ObjectPin(etag: object.etag, size: object.size, versionID: object.versionID,
                                  lastModified: object.lastModified)
        }
        return (pins, missing.sorted())
    }

    /// The author as git takes it: `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL`, then `user.name`/
    /// `user.email`, else the login name and host — a commit never fails for want of an identity.
    public static func defaultAuthor(_ repository: DatasetRepository) -> GitSignature {
        let environment = ProcessEnvironment.self
        let config = try? repository.git.configuration()
        let (login, host) = FileSystem.loginAndHost
        let name = environment.value("GIT_AUTHOR_NAME") ?? (try? config?.string("user.name")) ?? nil ?? login
        let email = environment.value("GIT_AUTHOR_EMAIL") ?? (try? config?.string("user.email")) ?? nil ?? "\(login)@\(host)"
        return GitSignature(name: name, email: email, time: UTCClock.now(), offsetMinutes: 0)
    }
}

public enum CommitError: Error, Sendable, CustomStringConvertible {
    case input(COCOError)
    case repository(RepositoryError)
    case compression(ZstdError)
    case s3(S3Error)
    /// Images with no object under the prefix: the first keys and how many in all.
    case missingObjects(location: String, keys: [String], count: Int)
    /// A zip archive that cannot be read.
    case archive(ZipArchive.Failure)
    /// Options that do not fit the files given.
    case usage(String)
    /// Taking a round from CVAT failed.
    case cvat(CVATError)

    public var description: String {
        switch self {
        case .input(let error): error.description
        case .repository(let error): error.description
        case .compression(let error): error.description
        case .s3(let error): error.description
        case .archive(let error): error.description
        case .usage(let message): message
        case .cvat(let error): error.description(committing: true)
        case .missingObjects(let location, let keys, let count):
            "\(count) image\(count == 1 ? "" : "s") missing under \(location): \(keys.joined(separator: ", "))"
                + (count > keys.count ? ", … (\(count - keys.count) more)" : "")
                + "; nothing committed (--allow-missing commits without them)"
        }
    }
}
