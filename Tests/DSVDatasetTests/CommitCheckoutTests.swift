import DSVJSON
import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

@Suite struct CommitCheckoutTests {
    static let compactFixtures = Fixture.names("good").filter { !$0.contains("pretty") }

    /// A compact export comes back byte for byte: numbers, escapes, key order, array order.
    @Test(arguments: compactFixtures)
    func compactExportRoundTripsByteForByte(_ name: String) throws {
        let scratch = try ScratchRepository()
        try scratch.commit([Fixture.path(name)])
        #expect(try scratch.checkout() == Fixture.bytes(Fixture.path(name)))
        // The same bytes past the page cache, as a checkout of gigabytes writes them: a file
        // of one short block here, written whole and cut.
        #expect(try scratch.checkout(direct: true) == Fixture.bytes(Fixture.path(name)))
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }

    /// A pretty-printed CRLF export comes back with every token as written; only the whitespace
    /// between tokens goes (the file's leading and trailing whitespace stays).
    @Test func prettyExportRoundTripsEveryToken() throws {
        let scratch = try ScratchRepository()
        let path = Fixture.path("good/pretty_crlf.json")
        try scratch.commit([path])
        let out = try scratch.checkout()
        #expect(out == minified(Fixture.bytes(path)) + Array("\r\n".utf8))
        let original = try JSONSerialization.jsonObject(with: Data(Fixture.bytes(path))) as! NSDictionary
        let restored = try JSONSerialization.jsonObject(with: Data(out)) as! NSDictionary
        #expect(original == restored)
    }

    /// Every pretty-printed fixture comes back with its tokens as written (minified equal), and
    /// parses equal to the original.
    @Test(arguments: Fixture.names("good").filter { $0.contains("pretty") })
    func prettyExportsKeepEveryToken(_ name: String) throws {
        let scratch = try ScratchRepository()
        try scratch.commit([Fixture.path(name)])
        let out = try scratch.checkout(), source = Fixture.bytes(Fixture.path(name))
        #expect(minified(out) == minified(source))
        let original = try JSONSerialization.jsonObject(with: Data(source)) as! NSDictionary
        #expect(original == (try JSONSerialization.jsonObject(with: Data(out)) as! NSDictionary))
    }

    /// Same content, same digest and same tree — also when it was formatted differently.
    @Test func contentAddressingIsDeterministic() throws {
        let a = try ScratchRepository(), b = try ScratchRepository(), c = try ScratchRepository()
        try a.commit([Fixture.path("good/cvat_attributes.json")])
        try b.commit([Fixture.path("good/cvat_attributes.json")])
        let pretty = c.directory.write("export.json", Data(minified(Fixture.bytes(Fixture.path("good/cvat_attributes.json")))))
        _ = pretty
        try c.commit([pretty])
        #expect(try a.version().commit.tree == b.version().commit.tree)
        #expect(try a.version().manifest == b.version().manifest)
        #expect(try a.version().manifest == c.version().manifest)

        let d = try ScratchRepository()
        try d.commit([Fixture.path("good/pretty_crlf.json")])
        let e = try ScratchRepository()
        let compactCopy = e.directory.write("compact.json", Data(minified(Fixture.bytes(Fixture.path("good/pretty_crlf.json")))))
        try e.commit([compactCopy])
        #expect(try d.version().manifest != e.version().manifest, "trailing CRLF is part of the header")
        #expect(try d.version().shardBlobs() == e.version().shardBlobs(), "records do not depend on whitespace")
    }

    /// The next round of a `json.dump` export with `id` last — its annotations matched from
    /// what the first round learned, on both passes — stores what a compact copy of the same
    /// round stores, and checks out with every token of it.
    @Test func aSpacedIDLastNextRoundStoresWhatACompactCopyStores() throws {
        let first = Fixture.bytes(Fixture.path("good/pretty_json_dump_id_last.json"))
        // Round 2: ids renumbered (the last member of each annotation), one box moved.
        var text = String(decoding: first, as: UTF8.self)
        let ids = try NSRegularExpression(pattern: #""id": (\d+)\}"#)
        for match in ids.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed() {
            let range = Range(match.range(at: 1), in: text)!
            text.replaceSubrange(range, with: String(Int(text[range])! + 100))
        }
        text = text.replacingOccurrences(of: "[30.75, 8.75, 12.5, 8.25]", with: "[31.75, 8.75, 12.5, 8.25]")
        let spaced = try ScratchRepository()
        try spaced.commit([Fixture.path("good/pretty_json_dump_id_last.json")], "round 1")
        let second = spaced.directory.write("round2.json", Data(text.utf8))
        try spaced.commit([second], "round 2")
        let compact = try ScratchRepository()
        try compact.commit([compact.directory.write("round2.json", Data(minified(Array(text.utf8))))])
        #expect(try spaced.version().shardBlobs() == compact.version().shardBlobs())
        #expect(try minified(spaced.checkout()) == minified(Array(text.utf8)))
        #expect(try minified(spaced.checkout("HEAD~1")) == minified(first))
    }

    /// The next round of a spaced export — `json.dump`'s layout, or a pretty-printer's — is read
    /// as written, each annotation matched by its minified tail: it stores what the compact
    /// copy of the same round stores, shard for shard; the shards it did not change are
    /// recognised as a compact round's are (the shard cache grows by the same entries); its
    /// status is the compact round's; and it checks out with every token of the round.
    @Test(arguments: [false, true])
    func aSpacedNextRoundReadAsWrittenStoresWhatItsCompactCopyStores(newlines: Bool) throws {
        let inputs = TemporaryDirectory("spaced-rounds")
        let rounds = (0..<3).map { KnownAnnotationsTests.export(annotations: 900, round: $0 == 2 ? 0 : $0) }
        let spaced = try ScratchRepository(), compact = try ScratchRepository()
        for (index, round) in rounds.enumerated() {
            let spacedRound = inputs.write("spaced-\(index).json", jsonDumped(round, newlines: newlines))
            let compactRound = inputs.write("compact-\(index).json", round)
            if index > 0 {
                let spacedStatus = try StatusOperation.run(exports: [spacedRound], against: spaced.version(), in: spaced.repository)
                let compactStatus = try StatusOperation.run(exports: [compactRound], against: compact.version(), in: compact.repository)
                // The review, image by image and annotation by annotation (the sides' names aside).
                #expect(spacedStatus.images.map(\.json) == compactStatus.images.map(\.json))
                #expect(spacedStatus.images.contains { !$0.annotations.isEmpty })
            }
            try spaced.commit([spacedRound], "round \(index)")
            try compact.commit([compactRound], "round \(index)")
            #expect(try spaced.version().shardBlobs() == compact.version().shardBlobs(), "round \(index)")
            #expect(ShardCache(path: ShardCacheCommitTests.cachePath(spaced)).entries.count
                    == ShardCache(path: ShardCacheCommitTests.cachePath(compact)).entries.count, "round \(index)")
            #expect(try minified(spaced.checkout()) == minified(Array(jsonDumped(round, newlines: newlines).utf8)))
        }
        #expect(try gitFsck(spaced.repository.path).status == 0)
    }

    @Test func recommittingUnchangedContentMakesNoCommit() throws {
        let scratch = try ScratchRepository()
        try scratch.commit([Fixture.path("good/numbers.json")], "first")
        let head = try scratch.repository.head()
        guard case .nothingChanged(let unchanged, _) = try scratch.commit([Fixture.path("good/numbers.json")], "again") else {
            Issue.record("expected nothingChanged"); return
        }
        #expect(unchanged == head)
        #expect(try scratch.repository.head() == head)
    }

    /// CVAT renumbers ids on every export: a re-export that differs only in ids rewrites no shard.
    @Test func renumberedIdsRewriteNoShard() throws {
        let scratch = try ScratchRepository()
        let original = Fixture.path("good/cvat_attributes.json")
        try scratch.commit([original], "round 1")
        let source = String(decoding: Fixture.bytes(original), as: UTF8.self)
        let split = source.range(of: "\"images\":")!.lowerBound
        let text = String(source[..<split]) + String(source[split...])
            .replacingOccurrences(of: "\"id\":1,", with: "\"id\":101,")
            .replacingOccurrences(of: "\"id\":2,", with: "\"id\":102,")
            .replacingOccurrences(of: "\"id\":3,", with: "\"id\":103,")
            .replacingOccurrences(of: "\"image_id\":1,", with: "\"image_id\":101,")
            .replacingOccurrences(of: "\"image_id\":2,", with: "\"image_id\":102,")
        let renumbered = scratch.directory.write("renumbered.json", text)
        try scratch.commit([renumbered], "round 2")
        #expect(try scratch.version("HEAD").shardBlobs() == scratch.version("HEAD~1").shardBlobs())
        #expect(try scratch.checkout("HEAD") == Fixture.bytes(renumbered))
        #expect(try scratch.checkout("HEAD~1") == Fixture.bytes(original))
    }

    @Test func summaryCountsAndCategories() throws {
        let scratch = try ScratchRepository()
        try scratch.commit([Fixture.path("good/cvat_attributes.json")])
        let summary = try scratch.version().summary
        #expect(summary.images == 2)
        #expect(summary.annotations == 3)
        #expect(summary.categories.map(\.name) == ["car", "pedestrian"])
        #expect(summary.categories.map(\.annotations) == [2, 1])
        #expect(summary.imagesPrefix == nil)
        #expect(summary.sources.first?.sha256 == hexString(Hasher.digest(.sha256, Fixture.bytes(Fixture.path("good/cvat_attributes.json")))))
        let message = try scratch.version().commit.message
        #expect(message.hasSuffix("\n\nDsv-Manifest: \(summary.manifest)\n"))
    }

    /// Two per-job exports: images merged by key, categories by name with ids remapped, colliding
    /// ids renumbered; an image in both with the same content is kept once.
    @Test func perJobExportsMerge() throws {
        let scratch = try ScratchRepository()
        let job1 = scratch.directory.write("job1.json", """
            {"categories":[{"id":1,"name":"car"},{"id":2,"name":"person"}],"images":[{"id":1,"file_name":"a.jpg"},{"id":2,"file_name":"shared.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":2,"bbox":[1,2,3,4]},{"id":2,"image_id":2,"category_id":1,"bbox":[0,0,1,1]}]}
            """)
        let job2 = scratch.directory.write("job2.json", """
            {"categories":[{"id":1,"name":"person"},{"id":2,"name":"bus"}],"images":[{"id":1,"file_name":"b.jpg"},{"id":2,"file_name":"shared.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[5,6,7,8]},{"id":2,"image_id":1,"category_id":2,"bbox":[9,9,9,9]},{"id":3,"image_id":2,"category_id":3,"bbox":[0,0,1,1]}]}
            """)
        // job2's shared.jpg annotation names category 3, which job2 lacks: make it consistent first.
        let job2Fixed = scratch.directory.write("job2.json", String(decoding: Fixture.bytes(job2), as: UTF8.self)
            .replacingOccurrences(of: "\"category_id\":3", with: "\"category_id\":9")
            .replacingOccurrences(of: "{\"id\":2,\"name\":\"bus\"}", with: "{\"id\":2,\"name\":\"bus\"},{\"id\":9,\"name\":\"car\"}"))
        try scratch.commit([job1, job2Fixed])
        let merged = try JSONValue.parse(try scratch.checkout())
        #expect(merged["categories"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["car", "person", "bus"])
        let images = merged["images"]!.arrayValue!
        #expect(images.compactMap { $0["file_name"]?.stringValue } == ["a.jpg", "shared.jpg", "b.jpg"])
        #expect(Set(images.compactMap { $0["id"]?.intValue }).count == 3, "image ids stay unique")
        let annotations = merged["annotations"]!.arrayValue!
        #expect(annotations.count == 4)
        let bImage = images[2]["id"]!
        let bAnnotations = annotations.filter { $0["image_id"] == bImage }
        #expect(bAnnotations.compactMap { $0["category_id"]?.intValue } == [2, 3], "person → 2, bus → 3")
        #expect(try scratch.version().summary.categories.map(\.annotations) == [1, 2, 1])
    }

    /// The same per-job exports in a spaced next round — read as written, with the shared image
    /// compared and a category id substituted in objects minified on the way — store what the
    /// compact round stores.
    @Test func spacedPerJobExportsMergeAsCompactOnesDo() throws {
        let inputs = TemporaryDirectory("spaced-jobs")
        let job1 = #"{"categories":[{"id":1,"name":"car"},{"id":2,"name":"person"}],"images":[{"id":1,"file_name":"a.jpg"},{"id":2,"file_name":"shared.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":2,"bbox":[1,2,3,4]},{"id":2,"image_id":2,"category_id":1,"bbox":[0,0,1,1]}]}"#
        let job2 = #"{"categories":[{"id":1,"name":"person"},{"id":2,"name":"bus"},{"id":9,"name":"car"}],"images":[{"id":1,"file_name":"b.jpg"},{"id":2,"file_name":"shared.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[5,6,7,8]},{"id":2,"image_id":1,"category_id":2,"bbox":[9,9,9,9]},{"id":3,"image_id":2,"category_id":9,"bbox":[0,0,1,1]}]}"#
        func round(_ text: String) -> String { text.replacingOccurrences(of: "[5,6,7,8]", with: "[5,6,7,9]") }
        let spaced = try ScratchRepository(), compact = try ScratchRepository()
        try spaced.commit([inputs.write("s1.json", job1), inputs.write("s2.json", job2)])
        try compact.commit([inputs.write("c1.json", job1), inputs.write("c2.json", job2)])
        try spaced.commit([inputs.write("s1b.json", jsonDumped(round(job1))), inputs.write("s2b.json", jsonDumped(round(job2), newlines: true))])
        try compact.commit([inputs.write("c1b.json", round(job1)), inputs.write("c2b.json", round(job2))])
        #expect(try spaced.version().shardBlobs() == compact.version().shardBlobs())
        #expect(try JSONValue.parse(try spaced.checkout()) == JSONValue.parse(try compact.checkout()))
    }

    /// "café.jpg" with a precomposed é (NFC) and with an e and a combining accent (NFD) are
    /// equal Swift strings but two S3 objects, so two images: in one export (not a duplicate), in
    /// two jobs' exports (not merged), in two subsets (no conflict), and between versions (one
    /// removed, one added).
    @Test func keysThatDifferOnlyInUnicodeNormalizationAreTwoImages() throws {
        let (nfc, nfd) = ("caf\u{E9}.jpg", "cafe\u{301}.jpg")
        #expect(nfc == nfd, "Swift compares strings by canonical equivalence")
        func export(_ names: [String], box: Int = 1) -> String {
            #"{"images":["# + names.enumerated().map { #"{"id":\#($0.offset + 1),"file_name":"\#($0.element)"}"# }.joined(separator: ",")
                + #"],"annotations":["# + names.indices.map { #"{"id":\#($0 + 1),"image_id":\#($0 + 1),"bbox":[\#(box),\#($0),1,1]}"# }
                .joined(separator: ",") + "]}"
        }
        let scratch = try ScratchRepository()
        let both = scratch.directory.write("both.json", export([nfc, nfd]))
        try scratch.commit([both])
        #expect(try scratch.checkout() == Fixture.bytes(both))
        let keys = try scratch.version().records().joined().map { Array($0.key.utf8) }
        #expect(Set(keys) == [Array(nfc.utf8), Array(nfd.utf8)])

        try scratch.commit([scratch.directory.write("job1.json", export([nfc])), scratch.directory.write("job2.json", export([nfd], box: 2))])
        #expect(try scratch.version().summary.images == 2, "two jobs' images, not one image in conflict")
        try scratch.commit([scratch.directory.write("instances_Train.json", export([nfc])),
                            scratch.directory.write("instances_Validation.json", export([nfd]))])
        #expect(try scratch.version().subsets.count == 2)

        try scratch.commit([scratch.directory.write("r1.json", export([nfc]))])
        try scratch.commit([scratch.directory.write("r2.json", export([nfd]))])
        let diff = try VersionDiff.between(scratch.version("HEAD~1"), scratch.version("HEAD"))
        #expect(diff.imagesAdded == 1 && diff.imagesRemoved == 1)
        let byPath = diff.filtered(pathPrefix: "cafe\u{301}", category: nil)
        #expect(byPath.images.map { Array($0.key.utf8) } == [Array(nfd.utf8)], "--path compares bytes as keys do")
        #expect(diff.images.map { Array($0.key.utf8) } == [Array(nfd.utf8), Array(nfc.utf8)]
                || diff.images.map { Array($0.key.utf8) } == [Array(nfc.utf8), Array(nfd.utf8)])
    }

    @Test func imageInTwoExportsWithDifferentContentIsAConflict() throws {
        let scratch = try ScratchRepository()
        let a = scratch.directory.write("a.json", #"{"images":[{"id":1,"file_name":"x.jpg","width":5}],"annotations":[]}"#)
        let b = scratch.directory.write("b.json", #"{"images":[{"id":1,"file_name":"x.jpg","width":6}],"annotations":[]}"#)
        #expect(throws: CommitError.self) { try scratch.commit([a, b]) }
        #expect(try scratch.repository.head() == nil)
    }

    /// Bad input leaves the repository exactly as it was.
    @Test(arguments: Fixture.names("bad"))
    func badInputChangesNothing(_ name: String) throws {
        let scratch = try ScratchRepository()
        try scratch.commit([Fixture.path("good/numbers.json")])
        let head = try scratch.repository.head()
        let packs = try FileManager.default.contentsOfDirectory(atPath: scratch.repository.path + "/objects/pack")
        #expect(throws: CommitError.self) { try scratch.commit([Fixture.path(name)]) }
        #expect(try scratch.repository.head() == head)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.repository.path + "/objects/pack") == packs)
    }

    @Test func manyImagesSpreadOverShardsAndComeBackInOrder() throws {
        let scratch = try ScratchRepository()
        var images: [String] = [], annotations: [String] = []
        var annotationID = 0
        // Images in a non-sorted order, annotations interleaved across images.
        for i in (0..<3000).reversed() {
            images.append(#"{"id":\#(i),"file_name":"batch_\#(i % 7)/img_\#(i).jpg","width":640}"#)
        }
        for round in 0..<3 {
            for i in stride(from: 0, to: 3000, by: 7) {
                annotationID += 1
                annotations.append(#"{"id":\#(annotationID),"image_id":\#(i),"category_id":1,"bbox":[\#(round).5,2,3,4]}"#)
            }
        }
        let text = #"{"categories":[{"id":1,"name":"c"}],"images":[\#(images.joined(separator: ","))],"annotations":[\#(annotations.joined(separator: ","))]}"#
        let path = scratch.directory.write("many.json", text)
        try scratch.commit([path])
        #expect(try scratch.checkout() == Fixture.bytes(path))
        // 3,000 images: 2¹⁰ shards (1.5 to 3 images a shard), nearly all of them used.
        let version = try scratch.version()
        #expect(version.summary.shardLayout == ShardLayout(bits: 10))
        #expect((900...1024).contains(try version.shardBlobs().count))
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }

    /// A version whose sources were hashed by the time its pack is finished — all of a small
    /// export's — is one pack, its dataset.json, root tree and commit included: no loose object,
    /// and git reads every version. (Housekeeping may have merged the two packs since.)
    @Test func aVersionIsOnePackWithItsCommit() throws {
        let scratch = try ScratchRepository()
        try scratch.commit([Fixture.path("good/cvat_attributes.json")], "first")
        let changed = scratch.directory.write("changed.json", String(decoding: Fixture.bytes(Fixture.path("good/cvat_attributes.json")),
                                                                     as: UTF8.self).replacingOccurrences(of: "\"iscrowd\":0", with: "\"iscrowd\":1"))
        guard case .committed(let second) = try scratch.commit([changed], "second") else { Issue.record("no commit"); return }
        let objects = scratch.repository.path + "/objects"
        let folders = try FileManager.default.contentsOfDirectory(atPath: objects).filter { $0.count == 2 }
        #expect(try folders.flatMap { try FileManager.default.contentsOfDirectory(atPath: objects + "/" + $0) }.isEmpty)
        let verify = try runProcess("sh", ["-c", "git verify-pack -v '\(objects)'/pack/*.idx | grep -c ' commit '"])
        #expect(verify.stdout == "2\n", "\(verify.stderr)")
        #expect(second.commit == (try scratch.repository.head()))
        let log = try runProcess("git", ["--git-dir=\(scratch.repository.path)", "log", "--format=%s %an <%ae>"])
        #expect(log.stdout == "second Test <test@example.com>\nfirst Test <test@example.com>\n")
        #expect(try scratch.checkout() == Fixture.bytes(changed))
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }
}
