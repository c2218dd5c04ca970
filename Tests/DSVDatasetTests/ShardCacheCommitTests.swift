import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// The shard and element caches only save work: rounds committed with them must give exactly the
/// versions committed without them — same trees, byte for byte — whatever the exports hold.
@Suite struct ShardCacheCommitTests {
    enum Scenario: String, CaseIterable, CustomTestStringConvertible {
        case oneFile, subsets, mergedJobsWithRemappedCategories, prettyPrinted, pinnedImages
        var testDescription: String { rawValue }
    }

    /// A CVAT-like export of images `range`; in round `round` every 7th image (shifted by the
    /// round) has a moved box, and annotation ids are renumbered as CVAT does on each export.
    static func export(_ range: Range<Int>, round: Int, categories: [(Int, String)] = [(1, "cat"), (2, "dog")],
                       pretty: Bool = false) -> String {
        var images: [String] = [], annotations: [String] = []
        var annotationID = 1 + round * 3
        for i in range {
            images.append(#"{"id":\#(i + 1),"width":640,"height":480,"file_name":"batch_\#(i / 10)/img \#(i).jpg","license":0}"#)
            for a in 0..<(i % 3) {
                let moved = (i + round) % 7 == 0 ? 7.5 : 0.0
                let category = categories[(i + a) % categories.count].0
                annotations.append(#"{"id":\#(annotationID),"image_id":\#(i + 1),"category_id":\#(category),"segmentation":[[1.5,2.25,\#(10.0 + moved),4.0,5.0,6.0]],"area":12.5,"bbox":[\#(1.0 + moved),2.0,3.0,4.0],"iscrowd":0,"attributes":{"occluded":false,"rotation":0.0,"note":"\u00e9t\u00e9"}}"#)
                annotationID += 1
            }
        }
        let categoryList = categories.map { #"{"id":\#($0.0),"name":"\#($0.1)","supercategory":""}"# }
        let separator = pretty ? ",\n    " : ","
        return #"{"licenses":[],"info":{},"categories":[\#(categoryList.joined(separator: ","))],"images":[\#(images.joined(separator: separator))],"annotations":[\#(annotations.joined(separator: separator))]}"#
    }

    static func files(_ scenario: Scenario, round: Int, in directory: TemporaryDirectory) -> [String] {
        let folder = "round\(round)"
        try? FileManager.default.createDirectory(atPath: directory.file(folder), withIntermediateDirectories: true)
        func write(_ name: String, _ text: String) -> String { directory.write("\(folder)/\(name)", text) }
        switch scenario {
        case .oneFile, .pinnedImages:
            return [write("export.json", export(0..<120, round: round))]
        case .prettyPrinted:
            return [write("export.json", export(0..<120, round: round, pretty: true))]
        case .subsets:
            // Round by round, the split moves by one image.
            return [write("instances_Train.json", export(0..<(90 + round), round: round)),
                    write("instances_Validation.json", export((90 + round)..<120, round: round))]
        case .mergedJobsWithRemappedCategories:
            return [write("job1.json", export(0..<60, round: round)),
                    write("job2.json", export(60..<120, round: round, categories: [(1, "dog"), (2, "cat"), (3, "bird")]))]
        }
    }

    static func pins(_ scenario: Scenario, round: Int) -> [ExactKey: ObjectPin] {
        guard scenario == .pinnedImages else { return [:] }
        var pins: [ExactKey: ObjectPin] = [:]
        for i in 0..<120 where i != 5 {
            let etag = i % 11 == round ? "\"changed-\(round)\"" : "\"etag-\(i)\""
            pins[ExactKey("batch_\(i / 10)/img \(i).jpg")] = ObjectPin(etag: etag, size: Int64(1000 + i), versionID: i % 2 == 0 ? "v\(i)" : nil,
                                                             lastModified: "2026-11-30T00:00:00.000Z")
        }
        return pins
    }

    @discardableResult
    static func commit(_ scratch: ScratchRepository, _ files: [String], pins: [ExactKey: ObjectPin]) throws -> CommitOperation.Outcome {
        try CommitOperation.run(CommitOperation.Request(exports: files, message: "round", imagesPrefix: pins.isEmpty ? nil : "s3://bucket/images/",
                                                        pins: pins), in: scratch.repository, author: ScratchRepository.author)
    }

    static func cachePath(_ scratch: ScratchRepository) -> String { joinPath(scratch.repository.path, "dsv-shards.cache") }

    @Test(arguments: Scenario.allCases)
    func roundsCommittedWithTheCacheEqualRoundsCommittedWithout(_ scenario: Scenario) throws {
        let inputs = TemporaryDirectory("cache-rounds")
        let cached = try ScratchRepository(), plain = try ScratchRepository()
        var storedBlobs: Set<GitObjectID> = []
        for round in 0..<4 {
            let files = Self.files(scenario, round: round, in: inputs)
            let pins = Self.pins(scenario, round: round)
            let known = ShardCache(path: Self.cachePath(cached)).entries.count
            try Self.commit(cached, files, pins: pins)
            try? FileManager.default.removeItem(atPath: Self.cachePath(plain))
            try? FileManager.default.removeItem(atPath: joinPath(plain.repository.path, "dsv-elements.cache"))
            try Self.commit(plain, files, pins: pins)
            #expect(try cached.version().commit.tree == plain.version().commit.tree, "round \(round)")
            #expect(try cached.version().manifest == plain.version().manifest, "round \(round)")
            // The cache learned exactly the shards this round stored for the first time: the
            // others were recognised by their fingerprints.
            let blobs = Set(try cached.version().shardBlobs().values)
            let learned = ShardCache(path: Self.cachePath(cached)).entries.count - known
            #expect(learned == blobs.subtracting(storedBlobs).count, "round \(round)")
            if round > 0 { #expect(learned < blobs.count / 2, "round \(round): \(learned) of \(blobs.count) shards new") }
            storedBlobs.formUnion(blobs)
        }
        #expect(try gitFsck(cached.repository.path).status == 0)
    }

    /// A damaged or half-rewritten element cache is read as empty: the round is parsed in full and
    /// is the same version.
    @Test func aDamagedElementCacheChangesNothing() throws {
        let inputs = TemporaryDirectory("cache-elements")
        let cached = try ScratchRepository(), plain = try ScratchRepository()
        try cached.commit(Self.files(.oneFile, round: 0, in: inputs))
        let path = joinPath(cached.repository.path, "dsv-elements.cache")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.count > 1000)
        bytes[bytes.count / 2] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path))
        let next = Self.files(.oneFile, round: 1, in: inputs)
        try cached.commit(next)
        try plain.commit(next)
        #expect(try cached.version().manifest == plain.version().manifest)
        #expect(try cached.checkout() == plain.checkout())
        // Rewritten whole by that commit, under the repository's key: the next round matches again.
        let key = ElementKey(derivedFrom: ShardCache(path: Self.cachePath(cached)).key)
        #expect(ElementCache(path: path, key: key).count == (try cached.version().summary.annotations))
    }

    /// Entries whose blobs the repository does not hold (here: a cache carried over from another
    /// repository, under the same key) are not trusted: every blob is written.
    @Test func entriesWhoseBlobsAreMissingAreNotUsed() throws {
        let inputs = TemporaryDirectory("cache-foreign")
        let files = Self.files(.oneFile, round: 0, in: inputs)
        let first = try ScratchRepository(), second = try ScratchRepository()
        try first.commit(files)
        try FileManager.default.copyItem(atPath: Self.cachePath(first), toPath: Self.cachePath(second))
        guard case .committed(let made) = try second.commit(files) else {
            Issue.record("expected a commit"); return
        }
        #expect(made.objectsWritten > made.summary.shards)
        #expect(try gitFsck(second.repository.path).status == 0)
        #expect(try second.version().commit.tree == first.version().commit.tree)
        #expect(try second.checkout() == first.checkout())
    }

    /// After a version is undone (the branch moved back), its cached shards are still found in
    /// the object database and reused, and the result is the same version again.
    @Test func shardsOfAnUndoneVersionAreReused() throws {
        let inputs = TemporaryDirectory("cache-undo")
        let scratch = try ScratchRepository()
        try scratch.commit(Self.files(.oneFile, round: 0, in: inputs))
        let base = try scratch.repository.head()!
        try scratch.commit(Self.files(.oneFile, round: 1, in: inputs))
        let undone = try scratch.version().commit.tree
        try scratch.repository.git.updateReference("refs/heads/main", to: base, expecting: try scratch.repository.head(), message: "undo")
        let known = ShardCache(path: Self.cachePath(scratch)).entries.count
        try scratch.commit(Self.files(.oneFile, round: 1, in: inputs))
        #expect(try scratch.version().commit.tree == undone)
        #expect(ShardCache(path: Self.cachePath(scratch)).entries.count == known, "every shard was recognised")
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }

    /// A cache grown past twice the version's shards (plus 4,096) is cut down to them by the next
    /// commit, and the round after that still recognises every unchanged shard.
    @Test func aGrownCacheIsCutDownToTheVersionJustCommitted() throws {
        let inputs = TemporaryDirectory("cache-compaction")
        let scratch = try ScratchRepository()
        // The digest index of an earlier dsv, which nothing reads any more, is removed.
        let retired = joinPath(scratch.repository.path, "dsv-shards.idx")
        _ = FileManager.default.createFile(atPath: retired, contents: Data([1, 2, 3]))
        try scratch.commit(Self.files(.oneFile, round: 0, in: inputs))
        #expect(!FileManager.default.fileExists(atPath: retired))
        // Stale entries, as a long history of rounds leaves them.
        var cache = ShardCache(path: Self.cachePath(scratch))
        let stale = try scratch.repository.head()!
        cache.append((0..<5_000).map { n in
            (Fingerprint(high: UInt64(n), low: 0x5EED), ShardCache.Entry(contentDigest: SHA256Digest(bytes: [UInt8](repeating: 7, count: 32)),
                                                                         blobID: stale, commit: stale))
        })
        try scratch.commit(Self.files(.oneFile, round: 1, in: inputs))
        let shards = try scratch.version().summary.shards
        let compacted = ShardCache(path: Self.cachePath(scratch))
        #expect(compacted.entries.count == shards)
        #expect(compacted.commits == [try scratch.repository.head()!])
        // The next round stores only what changed.
        guard case .committed(let made) = try scratch.commit(Self.files(.oneFile, round: 2, in: inputs)) else {
            Issue.record("expected a commit"); return
        }
        #expect(made.objectsWritten < shards / 2 + 10)
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }
}
