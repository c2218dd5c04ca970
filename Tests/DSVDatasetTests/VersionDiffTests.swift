@testable import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// Exact results for every kind of change SPEC §6 names.
@Suite struct VersionDiffTests {
    static let categories = #"[{"id":1,"name":"car"},{"id":2,"name":"person"},{"id":3,"name":"bus"}]"#

    /// A small export: `images` as (file_name, annotations as (category id, bbox, occluded)).
    static func export(_ images: [(String, [(Int, [Double], Bool)])], categories: String = categories,
                       firstImageID: Int = 1, firstAnnotationID: Int = 1) -> String {
        var imageTexts: [String] = [], annotationTexts: [String] = []
        var annotationID = firstAnnotationID
        for (offset, (name, annotations)) in images.enumerated() {
            let id = firstImageID + offset
            imageTexts.append(#"{"id":\#(id),"file_name":"\#(name)","width":640,"height":480}"#)
            for (category, bbox, occluded) in annotations {
                let box = bbox.map { String($0) }.joined(separator: ",")
                annotationTexts.append(#"{"id":\#(annotationID),"image_id":\#(id),"category_id":\#(category),"bbox":[\#(box)],"attributes":{"occluded":\#(occluded)}}"#)
                annotationID += 1
            }
        }
        return #"{"categories":\#(categories),"images":[\#(imageTexts.joined(separator: ","))],"annotations":[\#(annotationTexts.joined(separator: ","))]}"#
    }

    func diff(_ old: String, _ new: String) throws -> VersionDiff {
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("old.json", old)], "old")
        try scratch.commit([scratch.directory.write("new.json", new)], "new")
        return try VersionDiff.between(scratch.version("HEAD~1"), scratch.version("HEAD"))
    }

    static let base: [(String, [(Int, [Double], Bool)])] = [
        ("a.jpg", [(1, [10, 10, 100, 50], false), (2, [200, 100, 40, 80], false)]),
        ("b.jpg", [(1, [0, 0, 20, 20], false)]),
        ("c.jpg", [(3, [5, 5, 50, 50], true)]),
    ]

    @Test func everyKindOfChange() throws {
        var next = Self.base
        next[0].1[0].1 = [14, 12, 100, 50]        // a: car moved (IoU ≈ 0.88) → modified
        next[0].1[1].2 = true                    // a: person occluded flipped → modified
        next[1].1[0].0 = 2                       // b: car → person, same box → relabeled
        next[2].1.append((2, [300, 300, 10, 10], false))  // c: person added
        next.append(("d.jpg", [(1, [1, 1, 2, 2], false)]))  // d: image added with 1 annotation
        let diff = try diff(Self.export(Self.base), Self.export(next))
        #expect(diff.imagesAdded == 1 && diff.imagesRemoved == 0 && diff.imagesModified == 3 && diff.imagesUnchanged == 0)
        #expect(diff.annotationsAdded == 2)
        #expect(diff.annotationsRemoved == 0)
        #expect(diff.annotationsModified == 2)
        #expect(diff.annotationsRelabeled == 1)
        #expect(diff.annotationsUnchanged == 1)
        let a = diff.images.first { $0.key == "a.jpg" }!
        #expect(a.status == .modified)
        let moved = a.annotations.modified.first { $0.to.category == "car" }!
        #expect(moved.from.bbox == [10, 10, 100, 50] && moved.to.bbox == [14, 12, 100, 50])
        let occluded = a.annotations.modified.first { $0.to.category == "person" }!
        #expect(occluded.from.fieldChanges(to: occluded.to)
            == [FieldChange(field: "attributes.occluded", from: .bool(false), to: .bool(true))])
        let b = diff.images.first { $0.key == "b.jpg" }!
        #expect(b.annotations.relabeled.count == 1)
        #expect(b.annotations.relabeled[0].from.category == "car" && b.annotations.relabeled[0].to.category == "person")
        #expect(diff.images.first { $0.key == "d.jpg" }?.status == .added)
        #expect(diff.images.map(\.key) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"])
    }

    /// An annotation without a `category_id` (a caption) has no category, which no category's
    /// name stands for — not even one called "(none)", as the text review shows the absence.
    @Test func anAnnotationWithoutACategoryIDHasNoCategory() throws {
        let categories = #"[{"id":1,"name":"(none)"}]"#
        func export(_ captions: [String]) -> String {
            #"{"categories":\#(categories),"images":[{"id":1,"file_name":"a.jpg"}],"annotations":["#
                + captions.joined(separator: ",") + "]}"
        }
        let old = export([#"{"id":1,"image_id":1,"caption":"a dog"}"#, #"{"id":2,"image_id":1,"caption":"a cat"}"#,
                          #"{"id":3,"image_id":1,"caption":"a fish"}"#])
        let new = export([#"{"id":1,"image_id":1,"caption":"a dog","category_id":1}"#, #"{"id":2,"image_id":1,"caption":"a cat"}"#,
                          #"{"id":3,"image_id":1,"caption":"a bird"}"#, #"{"id":4,"image_id":1,"caption":"a whale","category_id":1}"#])
        let diff = try diff(old, new)
        let changes = diff.images[0].annotations
        // The dog's caption gained a category: from none to the one called "(none)". The fish's
        // and the whale's say different things: not one caption relabeled.
        #expect(changes.relabeled.map { [$0.from.category, $0.to.category] } == [[nil, "(none)"]])
        #expect(changes.relabeled.map(\.to.membersText) == [#"{"caption":"a dog"}"#])
        #expect(changes.added.map(\.category) == [nil, "(none)"])
        #expect(changes.added.map(\.membersText) == [#"{"caption":"a bird"}"#, #"{"caption":"a whale"}"#])
        #expect(changes.removed.map(\.membersText) == [#"{"caption":"a fish"}"#] && changes.modified.isEmpty)
        let named = try #require(diff.filtered(pathPrefix: nil, category: "(none)").images.first).annotations
        #expect(named.added.map(\.membersText) == [#"{"caption":"a whale"}"#] && named.relabeled.count == 1,
                "the bird's caption has no category, not one called (none)")
    }

    @Test func removedImagesCountTheirAnnotations() throws {
        let diff = try diff(Self.export(Self.base), Self.export(Array(Self.base.dropFirst())))
        #expect(diff.imagesRemoved == 1)
        #expect(diff.annotationsRemoved == 2)
        #expect(diff.images.first?.annotations.removed.map(\.category) == ["car", "person"])
    }

    @Test func aMovedBoxWithLowOverlapIsRemovedAndAdded() throws {
        var next = Self.base
        next[1].1[0].1 = [15, 15, 20, 20]  // IoU = 25/775 < 0.5
        let diff = try diff(Self.export(Self.base), Self.export(next))
        #expect(diff.annotationsAdded == 1 && diff.annotationsRemoved == 1 && diff.annotationsModified == 0)
    }

    /// CVAT renumbers ids on every export: no changes, and no shard is even read.
    @Test func renumberedIdsAreNoChange() throws {
        let diff = try diff(Self.export(Self.base), Self.export(Self.base, firstImageID: 500, firstAnnotationID: 9000))
        #expect(diff.isEmpty)
        #expect(diff.shardsRead == 0)
        #expect(diff.annotationsUnchanged == 4)
    }

    /// Categories are matched by name: remapped ids change nothing; a renamed category shows
    /// as one added and one removed, its annotations as relabeled.
    @Test func categoryIdRemapsAndRenames() throws {
        let remapped = #"[{"id":7,"name":"bus"},{"id":8,"name":"car"},{"id":9,"name":"person"}]"#
        let remappedBase = Self.base.map { ($0.0, $0.1.map { ([0, 8, 9, 7][$0.0], $0.1, $0.2) }) }
        #expect(try diff(Self.export(Self.base), Self.export(remappedBase, categories: remapped)).isEmpty)

        let renamed = #"[{"id":1,"name":"automobile"},{"id":2,"name":"person"},{"id":3,"name":"bus"}]"#
        let diff = try diff(Self.export(Self.base), Self.export(Self.base, categories: renamed))
        #expect(diff.categoriesAdded == ["automobile"])
        #expect(diff.categoriesRemoved == ["car"])
        #expect(diff.annotationsRelabeled == 2)
    }

    /// An export that begins with a UTF-8 byte order mark (as Windows tools write JSON) is kept
    /// with its mark, and its categories are still read by name: a diff and a status against it
    /// name them, and neither sees a category added where none was.
    @Test func anExportWithAByteOrderMarkKeepsItsCategoryNames() throws {
        let scratch = try ScratchRepository()
        let marked = "\u{FEFF}" + Self.export(Self.base)
        let old = scratch.directory.write("old.json", marked)
        try scratch.commit([old], "old")
        var next = Self.base
        next[1].1[0].0 = 2
        let working = scratch.directory.write("new.json", "\u{FEFF}" + Self.export(next))
        let status = try StatusOperation.run(exports: [working], against: try scratch.version(), in: scratch.repository)
        try scratch.commit([working], "new")
        let diff = try VersionDiff.between(scratch.version("HEAD~1"), scratch.version("HEAD"))
        for result in [status, diff] {
            #expect(result.categoriesAdded.isEmpty && result.categoriesRemoved.isEmpty)
            let relabeled = result.images.flatMap(\.annotations.relabeled)
            #expect(relabeled.map(\.from.category) == ["car"] && relabeled.map(\.to.category) == ["person"])
        }
        let output = scratch.directory.file("checkout.json")
        try CheckoutWriter.write(scratch.version("HEAD~1"), to: .file(output))
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Data(marked.utf8))
    }

    /// Ids written as whole floats (`"image_id": 2.0`, `"category_id": 3e0`, as an export written
    /// through a pandas float column has them) name the image and category of that value, as
    /// they do for pycocotools: committed, named by category, and no different in content from
    /// the same export with integer ids.
    @Test func wholeNumberIdsNameTheirImageAndCategory() throws {
        let scratch = try ScratchRepository()
        let integers = Self.export(Self.base)
        let floats = integers.replacingOccurrences(of: #""image_id":2,"#, with: #""image_id":2.0,"#)
            .replacingOccurrences(of: #""category_id":3,"#, with: #""category_id":3e0,"#)
            .replacingOccurrences(of: #"{"id":2,"name":"person"}"#, with: #"{"id":2.00,"name":"person"}"#)
        #expect(floats != integers)
        try scratch.commit([scratch.directory.write("floats.json", floats)], "floats")
        let version = try scratch.version()
        let counts = Dictionary(uniqueKeysWithValues: version.summary.categories.map { ($0.name, $0.annotations) })
        #expect(counts == ["car": 2, "person": 1, "bus": 1])
        let output = scratch.directory.file("checkout.json")
        try CheckoutWriter.write(version, to: .file(output))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == floats)
        let status = try StatusOperation.run(exports: [scratch.directory.write("integers.json", integers)], against: version,
                                             in: scratch.repository)
        #expect(status.isEmpty && status.categoriesAdded.isEmpty)
        // A fraction is no whole number: it names no image.
        let fraction = integers.replacingOccurrences(of: #""image_id":2,"#, with: #""image_id":2.5,"#)
        #expect { try scratch.commit([scratch.directory.write("fraction.json", fraction)], "fraction") } throws: {
            "\($0)".contains("annotation id 3 has image_id 2.5, which names no image")
        }
    }

    /// Duplicate identical annotations are a multiset: one of two copies removed is one removal.
    @Test func duplicateIdenticalAnnotations() throws {
        let twice: [(String, [(Int, [Double], Bool)])] = [("a.jpg", [(1, [1, 1, 5, 5], false), (1, [1, 1, 5, 5], false)])]
        let once: [(String, [(Int, [Double], Bool)])] = [("a.jpg", [(1, [1, 1, 5, 5], false)])]
        let diff = try diff(Self.export(twice), Self.export(once))
        #expect(diff.annotationsRemoved == 1 && diff.annotationsUnchanged == 1 && diff.annotationsModified == 0)
    }

    /// Byte-identical annotations are set aside before matching (a fast path): with
    /// duplicates, reordering and changes in one image the counts are those of SPEC §6.
    @Test func identicalAnnotationsAmongChangesInAnyOrder() throws {
        let a = (1, [1.0, 1, 5, 5], false), b = (2, [50.0, 50, 10, 10], false), c = (3, [100.0, 100, 20, 20], false)
        let old: [(String, [(Int, [Double], Bool)])] = [("x.jpg", [a, b, a, c])]
        let new: [(String, [(Int, [Double], Bool)])] = [("x.jpg", [c, a, (2, [51, 50, 10, 10], false), (2, [1, 1, 5, 5], false)])]
        for (from, to) in [(old, new), (new, old)] {
            let diff = try diff(Self.export(from), Self.export(to))
            #expect(diff.annotationsUnchanged == 2)
            #expect(diff.annotationsModified == 1)
            #expect(diff.annotationsRelabeled == 1)
            #expect(diff.annotationsAdded == 0 && diff.annotationsRemoved == 0)
        }
    }

    /// An escape and the character it stands for are the same content, whichever way each
    /// version wrote it (annotations without escapes are compared from their bytes in place,
    /// those with one are parsed: both must agree).
    @Test func escapedAndPlainTextAreTheSameContent() throws {
        func export(_ label: String, occluded: Bool = false) -> String {
            #"{"categories":\#(Self.categories),"images":[{"id":1,"file_name":"a.jpg","width":640,"height":480}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,2,3,4],"attributes":{"note":"\#(label)","occluded":\#(occluded)}},{"id":2,"image_id":1,"category_id":2,"bbox":[9,9,9,9]}]}"#
        }
        #expect(try diff(export(#"caf\u00e9 \"x\""#), export(#"café \"x\""#)).isEmpty)
        #expect(try diff(export("café"), export(#"caf\u00e9"#)).isEmpty)
        let changed = try diff(export(#"caf\u00e9"#), export("café", occluded: true))
        #expect(changed.annotationsModified == 1 && changed.annotationsUnchanged == 1)
        let pair = try #require(changed.images.first?.annotations.modified.first)
        #expect(pair.from.fieldChanges(to: pair.to) == [FieldChange(field: "attributes.occluded", from: .bool(false), to: .bool(true))])
        #expect(pair.to.bboxText == "[1,2,3,4]" && pair.to.category == "car")
    }

    @Test func imageMetadataChangeIsAModification() throws {
        let old = Self.export(Self.base)
        let new = old.replacingOccurrences(of: #""file_name":"c.jpg","width":640"#, with: #""file_name":"c.jpg","width":1280"#)
        let diff = try diff(old, new)
        #expect(diff.imagesModified == 1)
        #expect(diff.images[0].fields == [FieldChange(field: "width", from: .number("640"), to: .number("1280"))])
    }

    /// An image whose S3 pin changed is modified, with the old and new object.
    @Test func changedPinIsAModification() throws {
        let scratch = try ScratchRepository()
        let path = scratch.directory.write("e.json", Self.export(Self.base))
        let pin = ObjectPin(etag: "aaa", size: 10, versionID: nil, lastModified: "2026-01-01T00:00:00Z")
        var newPin = pin
        newPin.etag = "bbb"
        for (message, pin) in [("old", pin), ("new", newPin)] {
            _ = try CommitOperation.run(.init(exports: [path], message: message, imagesPrefix: "s3://b/p/", pins: ["b.jpg": pin]),
                                        in: scratch.repository, author: ScratchRepository.author)
        }
        let diff = try VersionDiff.between(scratch.version("HEAD~1"), scratch.version("HEAD"))
        #expect(diff.objectsChanged == 1)
        #expect(diff.images.map(\.key) == ["b.jpg"])
        #expect(diff.images[0].pin?.from?.etag == "aaa" && diff.images[0].pin?.to?.etag == "bbb")
        #expect(diff.json["images"]?.arrayValue?.first?["object"]?["to"]?["etag"] == .string("bbb"))
    }

    @Test func jsonHasTheFieldsOfTheSpec() throws {
        var next = Self.base
        next[1].1[0].0 = 2
        let json = try diff(Self.export(Self.base), Self.export(next)).json
        for key in ["from", "to", "summary", "images"] { #expect(json[key] != nil) }
        let summary = json["summary"]!
        #expect(summary["images"]?["modified"] == .int(1))
        #expect(summary["annotations"]?["relabeled"] == .int(1))
        #expect(summary["objects"]?["changed"] == .int(0))
        let image = json["images"]!.arrayValue![0]
        #expect(image["key"] == .string("b.jpg") && image["status"] == .string("modified"))
        #expect(image["annotations"]?["relabeled"]?.arrayValue?.first?["to"]?["category"] == .string("person"))
    }

    @Test func filtersByCategoryAndPath() throws {
        var next = Self.base
        next[0].1[0].1 = [14, 12, 100, 50]
        next[2].1.append((2, [300, 300, 10, 10], false))
        let diff = try diff(Self.export(Self.base), Self.export(next))
        #expect(diff.filtered(pathPrefix: nil, category: "person").images.map(\.key) == ["c.jpg"])
        #expect(diff.filtered(pathPrefix: "a", category: nil).images.map(\.key) == ["a.jpg"])
    }

    /// `status`: an export on disk against HEAD, the same result as committing and diffing.
    @Test func statusMatchesDiffAfterCommit() throws {
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("old.json", Self.export(Self.base))], "old")
        var next = Self.base
        next[0].1[1].2 = true
        let working = scratch.directory.write("new.json", Self.export(next))
        let status = try StatusOperation.run(exports: [working], against: try scratch.version(), in: scratch.repository)
        #expect(status.to.name == "working")
        #expect(status.annotationsModified == 1 && status.imagesModified == 1)
        #expect(try scratch.repository.head() == scratch.version().commit.id, "status commits nothing")
    }

    /// A status encodes the shards its shard cache does not know without compressing them, and
    /// compares them record by record: with the cache gone (a fresh clone), an unchanged export
    /// still shows nothing and a changed one exactly what it shows with the cache.
    @Test func statusWithoutTheShardCache() throws {
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("old.json", Self.export(Self.base))], "old")
        var next = Self.base
        next[0].1[1].2 = true
        next[2].1.append((2, [300, 300, 10, 10], false))
        let same = scratch.directory.write("same.json", Self.export(Self.base))
        let working = scratch.directory.write("new.json", Self.export(next))
        func status(_ path: String) throws -> VersionDiff {
            try StatusOperation.run(exports: [path], against: try scratch.version(), in: scratch.repository)
        }
        let warm = try status(working)
        #expect(try status(same).isEmpty)
        FileSystem.remove(joinPath(scratch.repository.path, "dsv-shards.cache"))
        let unchanged = try status(same)
        #expect(unchanged.isEmpty)
        #expect(unchanged.shardsRead > 0, "with no cache, every shard was read and compared")
        let cold = try status(working)
        #expect(cold.images.map(\.key) == warm.images.map(\.key))
        #expect(cold.annotationsModified == 1 && cold.annotationsAdded == 1)
        #expect((cold.annotationsModified, cold.annotationsAdded) == (warm.annotationsModified, warm.annotationsAdded))
    }
}

extension VersionDiffTests {
    /// A diff reads the shard trees of the directories that differ only: no shard that differs
    /// is skipped, and with one image changed among forty most directories are.
    @Test func equalShardDirectoriesAreSkipped() throws {
        let images = (0..<40).map { ("img\($0).jpg", [(1, [Double($0), 10, 20, 20], false)]) }
        var next = images
        next[7].1[0].2 = true
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("old.json", Self.export(images))], "old")
        try scratch.commit([scratch.directory.write("new.json", Self.export(next))], "new")
        let (old, new) = (try scratch.version("HEAD~1"), try scratch.version("HEAD"))
        let (oldAll, newAll) = (try old.shardBlobs(), try new.shardBlobs())
        let pruned = try StoredVersion.shardBlobs(differing: old, new)
        let differing = Set(oldAll.keys).union(newAll.keys).filter { oldAll[$0] != newAll[$0] }
        #expect(differing.count == 1)
        for number in differing { #expect(pruned.old[number] == oldAll[number] && pruned.new[number] == newAll[number]) }
        #expect(pruned.old.count < oldAll.count / 4 && pruned.new.count < newAll.count / 4)
        let diff = try VersionDiff.between(old, new)
        #expect(diff.images.map(\.key) == ["img7.jpg"] && diff.annotationsModified == 1)
    }

    /// A new category alone reads only the shards that changed.
    @Test func addedCategoryReadsOnlyChangedShards() throws {
        let more = #"[{"id":1,"name":"car"},{"id":2,"name":"person"},{"id":3,"name":"bus"},{"id":4,"name":"tram"}]"#
        var next = Self.base
        next[2].1.append((4, [1, 1, 3, 3], false))
        let diff = try diff(Self.export(Self.base), Self.export(next, categories: more))
        #expect(diff.categoriesAdded == ["tram"])
        #expect(diff.shardsRead == 2)
        #expect(diff.annotationsAdded == 1)
    }

    /// Field changes are read off the stored texts: equal bytes are equal, a value written
    /// another way (an escape, `2.5` for `2.50`, members in another order) is the same value,
    /// attributes are compared one by one, values are shown as written, and the ignored fields
    /// and members only one side has are as they should be.
    @Test func fieldChangesReadOffTheTexts() {
        func changes(_ a: String, _ b: String, ignoring: Set<String> = []) -> [FieldChange] {
            FieldChange.between(Array(a.utf8), Array(b.utf8), ignoring: ignoring)
        }
        #expect(changes(#"{"a":1,"b":[1,2.50]}"#, #"{"a":1,"b":[1,2.50]}"#).isEmpty)
        #expect(changes(#"{"note":"\u00e9t\u00e9"}"#, #"{"note":"été"}"#).isEmpty)
        #expect(changes(#"{"b":[1,2.50],"c":{"x":1,"y":2}}"#, #"{"b":[1.0,2.5],"c":{"y":2,"x":1e0}}"#).isEmpty)
        #expect(changes(#"{"b":[1,2.50]}"#, #"{"b":[1,2.51]}"#) == [FieldChange(field: "b", fromText: "[1,2.50]", toText: "[1,2.51]")])
        #expect(changes(#"{"attributes":{"occluded":false,"rotation":0.0,"x":"y"}}"#, #"{"attributes":{"occluded":true,"rotation":0.0}}"#)
            == [FieldChange(field: "attributes.occluded", from: .bool(false), to: .bool(true)),
                FieldChange(field: "attributes.x", fromText: #""y""#, toText: nil)])
        #expect(changes(#"{"id":1,"bbox":[1,2,3,4],"area":2}"#, #"{"id":2,"bbox":[1,2,3,5],"iscrowd":0}"#, ignoring: ["id", "bbox"])
            == [FieldChange(field: "area", fromText: "2", toText: nil), FieldChange(field: "iscrowd", fromText: nil, toText: "0")])
        // The values parse for --json.
        #expect(changes(#"{"s":[[1.5,2]]}"#, #"{"s":[[1.5,3]]}"#).first?.to == .array([.array([.number("1.5"), .number("3")])]))
        // A key written with an escape is the same key, compared and ignored as such; a key
        // written twice is compared by its first value; members keep the order they come in.
        #expect(changes(#"{"a\u0062":1,"c":1}"#, #"{"ab":2,"c":1}"#) == [FieldChange(field: "ab", fromText: "1", toText: "2")])
        #expect(changes(#"{"i\u0064":1,"x":1}"#, #"{"id":2,"x":1}"#, ignoring: ["id"]).isEmpty)
        #expect(changes(#"{"a":1,"a":2}"#, #"{"a":1}"#).isEmpty)
        #expect(changes(#"{"z":1,"y":1}"#, #"{"x":1,"y":2}"#)
            == [FieldChange(field: "z", fromText: "1", toText: nil), FieldChange(field: "y", fromText: "1", toText: "2"),
                FieldChange(field: "x", fromText: nil, toText: "1")])
        #expect(changes(#"[1]"#, #"{"a":1}"#) == [FieldChange(field: "a", fromText: nil, toText: "1")])
    }
}

extension VersionDiffTests {
    /// Shards of one number are read side by side and records equal byte for byte are left out
    /// before they are compared: over random rounds (images added, removed, relabeled, moved,
    /// with several images a shard), the diff is the one every record compared gives, and
    /// only changed images' records were copied out.
    @Test func pairedShardsGiveTheDiffOfEveryRecord() throws {
        var generator = SplitMix(seed: 22)
        func annotations() -> [(Int, [Double], Bool)] {
            (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                (Int.random(in: 1...3, using: &generator), [Double(Int.random(in: 0...50, using: &generator)), 5, 20, 20],
                 Bool.random(using: &generator))
            }
        }
        let old = (0..<2_000).map { ("img\($0).jpg", annotations()) }
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("old.json", Self.export(old))], "old")
        for round in 0..<3 {
            var new = old.filter { _ in Int.random(in: 0..<40, using: &generator) != 0 }
            for index in new.indices where Int.random(in: 0..<20, using: &generator) == 0 { new[index].1 = annotations() }
            new += (0..<30).map { ("new\(round)-\($0).jpg", annotations()) }
            new.shuffle(using: &generator)
            try scratch.commit([scratch.directory.write("new\(round).json", Self.export(new, firstImageID: 7 + round))], "new")
            let (before, after) = (try scratch.version("HEAD~\(round + 1)"), try scratch.version("HEAD"))
            #expect(before.summary.shardLayout == after.summary.shardLayout)
            let paired = try VersionDiff.between(before, after)
            let categories = try VersionDiff.categories(before)
            let everyRecord = VersionDiff.compare(from: paired.from, to: paired.to,
                                                  oldRecords: try before.records().flatMap { $0 }, newRecords: try after.records().flatMap { $0 },
                                                  oldCategories: categories, newCategories: try VersionDiff.categories(after), shardsRead: 0)
            #expect(paired.images.count > 100)
            // Changes only one of the two found, if any (the lists are long).
            let (shown, expected) = (paired.images.map { "\($0.status) \($0.key)" }, everyRecord.images.map { "\($0.status) \($0.key)" })
            #expect(Set(shown).symmetricDifference(expected).sorted() == [])
            #expect(shown == expected)
            #expect((paired.annotationsAdded, paired.annotationsRemoved, paired.annotationsModified, paired.annotationsRelabeled)
                    == (everyRecord.annotationsAdded, everyRecord.annotationsRemoved, everyRecord.annotationsModified, everyRecord.annotationsRelabeled))
        }
    }
}

extension VersionDiffTests {
    /// A renamed category changes annotations whose bytes did not change: status shows them
    /// relabeled, as the diff does once the export is committed.
    @Test func statusShowsARenamedCategoryAsTheDiffWill() throws {
        let renamed = #"[{"id":1,"name":"auto"},{"id":2,"name":"person"},{"id":3,"name":"bus"}]"#
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("old.json", Self.export(Self.base))], "old")
        let working = scratch.directory.write("new.json", Self.export(Self.base, categories: renamed))
        let status = try StatusOperation.run(exports: [working], against: try scratch.version(), in: scratch.repository)
        try scratch.commit([working], "new")
        let diff = try VersionDiff.between(scratch.version("HEAD~1"), scratch.version("HEAD"))
        #expect(diff.annotationsRelabeled == 2 && diff.images.map(\.key) == ["a.jpg", "b.jpg"])
        #expect(status.annotationsRelabeled == diff.annotationsRelabeled)
        #expect(status.images.map(\.key) == diff.images.map(\.key))
        #expect(status.categoriesAdded == ["auto"] && status.categoriesRemoved == ["car"])
    }
}

extension VersionDiffTests {
    /// The JSON written a run of images at a time on all cores is `json`'s pretty or compact
    /// form byte for byte: with no change, one, and more runs than a batch holds.
    @Test func jsonWrittenInRunsIsThePrettyForm() throws {
        let images = (0..<40).map { ("img\($0).jpg", [(1 + $0 % 3, [Double($0), 10, 20, 20], false)]) }
        var next = images
        for index in next.indices where index % 2 == 0 { next[index].1[0].2 = true }
        next.append(("new.jpg", [(2, [1, 2, 3, 4], false)]))
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("old.json", Self.export(images))], "old")
        let none = try VersionDiff.between(scratch.version(), scratch.version())
        let one = try diff(Self.export(images), Self.export(Array(images.prefix(39)) + [("img39.jpg", [(3, [39, 10, 20, 20], true)])]))
        let many = try diff(Self.export(images), Self.export(next))
        #expect((none.images.count, one.images.count, many.images.count) == (0, 1, 21))
        for diff in [none, one, many] {
            for run in [1, 2, 64] {
                var pretty: [UInt8] = [], compact: [UInt8] = []
                diff.writeJSON(pretty: true, run: run) { pretty += $0 }
                diff.writeJSON(pretty: false, run: run) { compact += $0 }
                #expect(String(decoding: pretty, as: UTF8.self) == diff.json.pretty, "\(diff.images.count) images, runs of \(run)")
                #expect(String(decoding: compact, as: UTF8.self) == diff.json.compact, "\(diff.images.count) images, runs of \(run)")
            }
        }
    }
}

extension VersionDiffTests {
    /// The field changes of two objects as found by looking every key up: each key once, in the
    /// order first met (the old object's keys, then the new one's), by its first member on each
    /// side, keys compared as decoded strings.
    static func fieldChangesLookedUp(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, ignoring: Set<String>,
                                     prefix: String) -> [FieldChange] {
        let x = FieldChange.rawMembers(a), y = FieldChange.rawMembers(b)
        func name(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> String { JSONString.decode(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        var seen: [String] = []
        var changes: [FieldChange] = []
        for key in x.map({ name(a, $0.key) }) + y.map({ name(b, $0.key) }) where !seen.contains(key) {
            seen.append(key)
            guard !ignoring.contains(key) else { continue }
            let p = x.first { name(a, $0.key) == key }.map { UnsafeRawBufferPointer(rebasing: a[$0.value]) }
            let q = y.first { name(b, $0.key) == key }.map { UnsafeRawBufferPointer(rebasing: b[$0.value]) }
            if let p, let q {
                if p.elementsEqual(q) { continue }
                if key == "attributes", p.first == UInt8(ascii: "{"), q.first == UInt8(ascii: "{") {
                    changes += fieldChangesLookedUp(p, q, ignoring: [], prefix: prefix + "attributes.")
                    continue
                }
                if let v = try? JSONValue.parse(p), let w = try? JSONValue.parse(q), v.canonical == w.canonical { continue }
            }
            changes.append(FieldChange(field: prefix + key, fromText: p.map { String(decoding: $0, as: UTF8.self) },
                                       toText: q.map { String(decoding: $0, as: UTF8.self) }))
        }
        return changes
    }

    /// Objects with the same keys in the same order are compared member by member, the others
    /// by looking keys up: over random pairs of both kinds (repeated keys, escaped keys and
    /// values, nested attributes, ignored fields), the changes are what looking up finds.
    @Test func fieldChangesPairwiseAndLookedUpAgree() {
        var generator = SplitMix(seed: 23)
        let keys = [#""a""#, #""b""#, #""id""#, #""attributes""#, #""n\u0061me""#, #""name""#]
        let values = ["1", "2", "1.0", #""x""#, #""\u0078""#, "[1,2]", #"{"occluded":true,"z":1}"#, #"{"occluded":false}"#, "null"]
        func object(_ members: [(String, String)]) -> [UInt8] {
            Array(("{" + members.map { $0.0 + ":" + $0.1 }.joined(separator: ",") + "}").utf8)
        }
        var pairwise = 0
        for _ in 0..<2_000 {
            let old = (0..<Int.random(in: 0...5, using: &generator)).map { _ in
                (keys.randomElement(using: &generator)!, values.randomElement(using: &generator)!)
            }
            // Half the time the same keys in the same order, each value kept or changed.
            let new = Bool.random(using: &generator)
                ? old.map { ($0.0, Bool.random(using: &generator) ? $0.1 : values.randomElement(using: &generator)!) }
                : (0..<Int.random(in: 0...5, using: &generator)).map { _ in
                    (keys.randomElement(using: &generator)!, values.randomElement(using: &generator)!)
                }
            let ignoring: Set<String> = Bool.random(using: &generator) ? ["id"] : []
            let (a, b) = (object(old), object(new))
            let expected = a.withUnsafeBytes { p in b.withUnsafeBytes { q in Self.fieldChangesLookedUp(p, q, ignoring: ignoring, prefix: "") } }
            #expect(FieldChange.between(a, b, ignoring: ignoring) == expected,
                    "\(String(decoding: a, as: UTF8.self)) → \(String(decoding: b, as: UTF8.self))")
            if a.withUnsafeBytes({ p in b.withUnsafeBytes { q in FieldChange.sameKeys(FieldChange.rawMembers(p), in: p, FieldChange.rawMembers(q), in: q) } }) {
                pairwise += 1
            }
        }
        #expect(pairwise > 300)
    }
}
