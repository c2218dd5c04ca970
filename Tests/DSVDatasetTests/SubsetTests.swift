import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// Subsets (splits) as part of a version: named from CVAT's file names, kept apart, checked out
/// as CVAT laid them out, and diffed as moves.
@Suite struct SubsetTests {
    /// A compact CVAT-like COCO document: images `frame_<n>.jpg` with ids from 1 and a box each.
    static func document(_ frames: [Int], categories: String = #"[{"id":1,"name":"car","supercategory":""},{"id":2,"name":"person","supercategory":""}]"#,
                         box: (Int) -> String = { "[\($0).5,2,3,4]" }) -> String {
        let images = frames.enumerated().map { index, frame in
            #"{"id":\#(index + 1),"width":640,"height":480,"file_name":"frame_\#(frame).jpg","license":0,"flickr_url":"","coco_url":"","date_captured":0}"#
        }
        let annotations = frames.enumerated().map { index, frame in
            #"{"id":\#(index + 1),"image_id":\#(index + 1),"category_id":\#(frame % 2 + 1),"segmentation":[],"area":12.0,"bbox":\#(box(frame)),"iscrowd":0,"attributes":{"occluded":false,"rotation":0.0}}"#
        }
        return #"{"licenses":[{"name":"","id":0,"url":""}],"info":{"contributor":"","date_created":"","description":"","url":"","version":"","year":""},"categories":\#(categories),"images":[\#(images.joined(separator: ","))],"annotations":[\#(annotations.joined(separator: ","))]}"#
    }

    let scratch = try! ScratchRepository()
    var dir: TemporaryDirectory { scratch.directory }

    @discardableResult
    func commit(_ files: [(String, String)], subset: String? = nil, message: String = "round") throws -> CommitOperation.Outcome {
        let paths = files.map { dir.write($0.0, $0.1) }
        return try CommitOperation.run(CommitOperation.Request(exports: paths, message: message, subset: subset),
                                       in: scratch.repository, author: ScratchRepository.author)
    }

    @Test(arguments: [
        ("instances_Train.json", "instances", "Train"),
        ("annotations/person_keypoints_Validation.json", "person_keypoints", "Validation"),
        ("instances_default.json", "instances", "default"),
        ("instances_train_v2.json", "instances", "train_v2"),
        ("panoptic_val2017.json", "panoptic", "val2017"),
        ("captions_Test set.json", "captions", "Test set"),
        ("annotations\\instances_Validation.json", "instances", "Validation"),
    ])
    func subsetFromFileName(file: String, task: String, name: String) throws {
        #expect(try Subset.named(byFile: file, label: file) == Subset(name: name, task: task))
    }

    @Test(arguments: ["export_final_v3.json", "instances.json", "instances_Train.txt", "my_instances_Train.json"])
    func fileNamesWithoutASubset(file: String) throws {
        #expect(try Subset.named(byFile: file, label: file) == nil)
    }

    /// A name that says a subset which cannot be one is refused, not read as another subset.
    @Test(arguments: ["instances_.json", "instances_..json", "captions_.git.json", "instances_a\u{7F}b.json"])
    func fileNamesWithAnImpossibleSubset(file: String) {
        #expect(throws: COCOError.self) { try Subset.named(byFile: file, label: file) }
    }

    @Test func caseOnlyDifferencesAreFound() {
        #expect(Subset.caseCollision(["Train", "Validation", "train"]).map { [$0.0, $0.1] } == ["Train", "train"])
        #expect(Subset.caseCollision(["Train", "Validation", "Test"]) == nil)
        #expect(Subset.caseCollision(["Ünter", "ünter"]).map { [$0.0, $0.1] } == ["Ünter", "ünter"])
    }

    @Test func subsetsAreKeptApartAndCheckedOutAsCVATLaidThemOut() throws {
        let train = Self.document(Array(0..<30)), validation = Self.document(Array(30..<40))
        guard case .committed(let made) = try commit([("instances_Validation.json", validation), ("instances_Train.json", train)]) else {
            Issue.record("expected a commit"); return
        }
        let summary = made.summary
        #expect(summary.subsets.map(\.subset.name) == ["Train", "Validation"])
        #expect(summary.subsets.map(\.images) == [30, 10])
        #expect(summary.images == 40 && summary.annotations == 40)
        #expect(summary.categories.map(\.name) == ["car", "person"] && summary.categories.map(\.annotations) == [20, 20])

        let version = try scratch.version()
        let out = dir.file("out")
        let written = try CheckoutWriter.writeDirectory(version, to: out)
        #expect(written.map(\.path) == ["\(out)/annotations/instances_Train.json", "\(out)/annotations/instances_Validation.json"])
        #expect(Fixture.bytes(written[0].path) == Array(train.utf8), "byte-identical to the compact source")
        #expect(Fixture.bytes(written[1].path) == Array(validation.utf8))

        // One file: the subset must be named; then it is exactly that subset.
        #expect(throws: CheckoutError.self) { try CheckoutWriter.write(version, to: .file(dir.file("one.json"))) }
        #expect(throws: CheckoutError.self) { try CheckoutWriter.write(version, subset: "Test", to: .file(dir.file("one.json"))) }
        try CheckoutWriter.write(version, subset: "Validation", to: .file(dir.file("one.json")))
        #expect(Fixture.bytes(dir.file("one.json")) == Array(validation.utf8))

        // The tree: the named subsets under subsets/, no header at the root; git fsck is clean.
        let tree = try runProcess("git", ["--git-dir=\(dir.file(".dsv"))", "ls-tree", "-r", "--name-only", "HEAD"]).stdout
            .split(separator: "\n").filter { !$0.hasPrefix("shards/") }
        #expect(tree == ["dataset.json", "subsets/Train/header.zst", "subsets/Train/order.zst",
                         "subsets/Validation/header.zst", "subsets/Validation/order.zst"])
        #expect(try gitFsck(dir.file(".dsv")).status == 0)

        // The same files in any order are the same version: nothing changed.
        guard case .nothingChanged = try commit([("instances_Train.json", train), ("instances_Validation.json", validation)]) else {
            Issue.record("the same subsets must be nothing changed"); return
        }
    }

    @Test func aVersionWithoutSubsetsKeepsItsLayoutAndDigest() throws {
        let export = Self.document(Array(0..<5))
        guard case .committed(let looseCommit) = try commit([("export.json", export)]) else { Issue.record("commit"); return }
        let loose = looseCommit.summary
        #expect(loose.subsets == [DatasetSummary.SubsetCounts(subset: .default, images: 5, annotations: 5)])
        let tree = try runProcess("git", ["--git-dir=\(dir.file(".dsv"))", "ls-tree", "--name-only", "HEAD"]).stdout
        #expect(tree == "dataset.json\nheader.zst\norder.zst\nshards\n")
        // instances_default.json is the same subset: the same content is nothing changed.
        guard case .nothingChanged = try commit([("instances_default.json", export)]) else {
            Issue.record("instances_default.json is the default subset"); return
        }
        // Another task of the default subset is a new version (its files are named differently).
        guard case .committed(let keypointsCommit) = try commit([("person_keypoints_default.json", export)]) else {
            Issue.record("commit"); return
        }
        let keypoints = keypointsCommit.summary
        #expect(keypoints.manifest == loose.manifest)
        #expect(try CheckoutWriter.writeDirectory(scratch.version(), to: dir.file("kp")).map(\.subset.fileName)
                == ["annotations/person_keypoints_default.json"])
    }

    @Test func anImageInTwoSubsetsIsAnError() throws {
        let before = try scratch.repository.head()
        #expect {
            try commit([("instances_Train.json", Self.document([1, 2, 3])), ("instances_Validation.json", Self.document([3, 4]))])
        } throws: { error in
            guard case CommitError.input(.conflict(let reason)) = error else { return false }
            return reason.contains("\"frame_3.jpg\"") && reason.contains("subset Train") && reason.contains("subset Validation")
                && reason.contains("instances_Train.json") && reason.contains("instances_Validation.json")
        }
        #expect(try scratch.repository.head() == before, "nothing committed")
    }

    /// A Datumaro COCO export has a file per task for the same images (instances_val.json,
    /// captions_val.json): one subset cannot keep both files as they were, so it is refused.
    @Test func oneTaskPerSubset() throws {
        #expect {
            try commit([("instances_val.json", Self.document([1, 2])), ("captions_val.json", Self.document([1, 2]))])
        } throws: { error in
            guard case CommitError.input(.conflict(let reason)) = error else { return false }
            return reason.contains("subset val mixes COCO tasks: instances") && reason.contains("captions_val.json")
        }
        #expect(try scratch.repository.head() == nil)
    }

    @Test func filesOfOneSubsetMerge() throws {
        guard case .committed(let made) = try commit([
            ("job1/instances_Train.json", Self.document([1, 2])), ("job2/instances_Train.json", Self.document([3, 4])),
            ("job3/instances_Validation.json", Self.document([5])),
        ]) else { Issue.record("commit"); return }
        #expect(made.summary.subsets.map(\.images) == [4, 1])
    }

    @Test func movesBetweenSubsetsAreModifications() throws {
        try commit([("instances_Train.json", Self.document(Array(0..<20))), ("instances_Validation.json", Self.document(Array(20..<25)))])
        // Next round: frames 18 and 19 move to Validation, frame 0's box moves a little.
        try commit([("instances_Train.json", Self.document(Array(0..<18), box: { $0 == 0 ? "[0.75,2,3,4]" : "[\($0).5,2,3,4]" })),
                    ("instances_Validation.json", Self.document(Array(18..<25)))])
        let diff = try VersionDiff.between(scratch.version("HEAD~1"), scratch.version())
        #expect(diff.images.map(\.key) == ["frame_0.jpg", "frame_18.jpg", "frame_19.jpg"])
        #expect(diff.images.map(\.status) == [.modified, .modified, .modified])
        #expect(diff.images[0].subsetMove == nil && diff.images[0].annotations.modified.count == 1)
        #expect(diff.images[1].subsetMove! == ("Train", "Validation"))
        #expect(diff.images[1].annotations.isEmpty, "moving changes no annotation")
        let json = diff.images[1].json
        #expect(json["subset"]?["from"]?.stringValue == "Train" && json["subset"]?["to"]?.stringValue == "Validation")
        #expect(diff.images[0].json["subset"] == nil)
        #expect(diff.filtered(pathPrefix: nil, category: nil, subset: "Validation").images.map(\.key) == ["frame_18.jpg", "frame_19.jpg"])
        #expect(diff.filtered(pathPrefix: nil, category: nil, subset: "Train").images.count == 3)

        // status of the same files against HEAD~1's content says the same.
        let status = try StatusOperation.run(exports: [dir.file("instances_Train.json"), dir.file("instances_Validation.json")],
                                             against: scratch.version("HEAD~1"), in: scratch.repository)
        #expect(status.images.map(\.key) == diff.images.map(\.key))
        #expect(status.images.compactMap(\.subsetMove).map(\.to) == ["Validation", "Validation"])
    }

    /// The same bytes mean another category when the subsets number their categories differently:
    /// a move then also relabels.
    @Test func aMoveBetweenSubsetsWithOtherCategoryIdsRelabels() throws {
        let swapped = #"[{"id":1,"name":"person","supercategory":""},{"id":2,"name":"car","supercategory":""}]"#
        try commit([("instances_Train.json", Self.document([0, 1, 2])), ("instances_Validation.json", Self.document([3], categories: swapped))])
        try commit([("instances_Train.json", Self.document([0, 1])), ("instances_Validation.json", Self.document([3, 2], categories: swapped))])
        let diff = try VersionDiff.between(scratch.version("HEAD~1"), scratch.version())
        #expect(diff.images.map(\.key) == ["frame_2.jpg"])
        #expect(diff.images[0].subsetMove! == ("Train", "Validation"))
        // frame_2 is category 1 (car in Train); in Validation category 1 is person.
        #expect(diff.images[0].annotations.relabeled.map { [$0.from.category, $0.to.category] } == [["car", "person"]])
    }

    @Test func aLoneFileFollowsThePreviousVersionsOnlySubset() throws {
        try commit([("round1.json", Self.document([1, 2]))], subset: "Train")
        #expect(try scratch.version().subsets == [Subset(name: "Train")])
        guard case .committed(let made) = try commit([("round2.json", Self.document([1, 2, 3]))]) else {
            Issue.record("commit"); return
        }
        #expect(made.summary.subsets.map(\.subset.name) == ["Train"])
        let diff = try VersionDiff.between(scratch.version("HEAD~1"), scratch.version())
        #expect(diff.images.map(\.key) == ["frame_3.jpg"] && diff.images[0].status == .added)
    }

    @Test func subsetsSurviveManyImagesAcrossShards() throws {
        // 3,000 images over two subsets share shards; each subset comes back in its own order.
        let train = Self.document(Array(0..<2000).reversed()), validation = Self.document(Array(2000..<3000))
        try commit([("instances_Train.json", train), ("instances_Validation.json", validation)])
        let written = try CheckoutWriter.writeDirectory(scratch.version(), to: dir.file("big"))
        #expect(Fixture.bytes(written[0].path) == Array(train.utf8))
        #expect(Fixture.bytes(written[1].path) == Array(validation.utf8))
    }
}
