import DSVNative
import DSVTestSupport
import Foundation
import Testing

/// CVAT export zips and subsets as a user meets them: a CVAT video task's export (made by
/// `Tests/Support/make_cvat_track_export.py` as CVAT's writer lays it out) and the suite's keypoint
/// fixtures, split into Train/Validation the way CVAT writes them, zipped with images inside by
/// another producer (Python's zipfile), committed, checked out, diffed.
@Suite struct SubsetCommandTests {
    /// CVAT's keypoint export of a task of two frames: 13 keypoints, `attributes` without `track_id`.
    static let keypoints = fixturePath("good/cvat_keypoints_two_frames.json")
    /// Keypoints with masks as compressed RLE strings, pretty-printed, no licenses (OCHuman's shape).
    static let compressedRLE = fixturePath("good/pretty_keypoints_compressed_rle.json")

    let dir = TemporaryDirectory("dsv-subsets")
    /// 541 frames of a tennis match, two tracked players: 1,082 boxes.
    let tennis: String

    init() throws {
        #expect(try dsv(["init"], in: dir.path).status == 0)
        tennis = dir.file("instances_default.json")
        let made = try runProcess("python3", [supportScript("make_cvat_track_export"), tennis])
        #expect(made.status == 0, "\(made.stderr)")
    }

    /// Splits a COCO file into `<task>_<subset>.json` files in `folder` (compact, as CVAT writes):
    /// images whose position is in `moved` go to the other subset than the split at `split` says.
    func split(_ source: String, task: String, at split: Int, moved: [Int] = [], into folder: String) throws -> (String, String) {
        let script = """
            import json, sys
            source, folder, task, split, moved = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), set(json.loads(sys.argv[5]))
            doc = json.load(open(source, encoding="utf-8"))
            def part(train):
                images = [im for i, im in enumerate(doc["images"]) if ((i < split) != (i in moved)) == train]
                ids = {im["id"] for im in images}
                out = dict(doc)
                out["images"] = images
                out["annotations"] = [a for a in doc.get("annotations", []) if a["image_id"] in ids]
                return json.dumps(out, separators=(",", ":"))
            for name, train in (("Train", True), ("Validation", False)):
                open(f"{folder}/{task}_{name}.json", "w", encoding="utf-8").write(part(train))
            """
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let result = try runProcess("python3", ["-c", script, source, folder, task, String(split), "\(moved)"])
        #expect(result.status == 0, "\(result.stderr)")
        return ("\(folder)/\(task)_Train.json", "\(folder)/\(task)_Validation.json")
    }

    func json(_ result: ProcessResult) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    func bytes(_ path: String) -> Data { FileManager.default.contents(atPath: path) ?? Data() }

    @Test func aCVATZipWithTrainValidationAndImages() throws {
        let (train, validation) = try split(tennis, task: "instances", at: 400, into: dir.file("r1"))
        let image = dir.write("frame.png", "\u{89}PNG not really")
        try makeZip(dir.file("round1.zip"), ["annotations/instances_Train.json=\(train)", "annotations/instances_Validation.json=\(validation)",
                                             "--stored", "images/Train/frame_000000.PNG=\(image)", "images/Validation/frame_000400.PNG=\(image)"])
        let commit = try dsv(["commit", "round1.zip", "-m", "round 1"], in: dir.path)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(commit.stdout.contains("541 images, 1,082 annotations, 1 category"))
        #expect(commit.stdout.contains("subsets: Train 400 images, Validation 141 images"))

        let show = try json(try dsv(["show", "--json"], in: dir.path))
        #expect(show["subsets"] as? [String: Int] == ["Train": 400, "Validation": 141])
        #expect((show["sources"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
                == ["round1.zip/annotations/instances_Train.json", "round1.zip/annotations/instances_Validation.json"])
        #expect(try dsv(["show"], in: dir.path).stdout.contains("subsets:       Train (400 images, 800 annotations), Validation (141 images, 282 annotations)"))

        // As CVAT laid it out, byte for byte.
        let checkout = try dsv(["checkout", "HEAD", "-o", "data/"], in: dir.path)
        #expect(checkout.status == 0, "\(checkout.stderr)")
        #expect(bytes(dir.file("data/annotations/instances_Train.json")) == bytes(train))
        #expect(bytes(dir.file("data/annotations/instances_Validation.json")) == bytes(validation))
        #expect(!FileManager.default.fileExists(atPath: dir.file("data/images")), "images in the zip are left alone")
        let onlyValidation = try dsv(["checkout", "HEAD", "-o", "val/", "--subset", "Validation"], in: dir.path)
        #expect(onlyValidation.status == 0, "\(onlyValidation.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("val/annotations")) == ["instances_Validation.json"])
        #expect(bytes(dir.file("val/annotations/instances_Validation.json")) == bytes(validation))

        // One file needs a subset.
        let ambiguous = try dsv(["checkout", "HEAD", "-o", "one.json"], in: dir.path)
        #expect(ambiguous.status == 2)
        #expect(ambiguous.stderr == "dsv: error: this version has 2 subsets (Train, Validation): choose one with --subset NAME, or write them all with -o DIR/\n")
        #expect(!FileManager.default.fileExists(atPath: dir.file("one.json")))
        #expect(try dsv(["checkout", "HEAD", "-o", "one.json", "--subset", "Validation"], in: dir.path).status == 0)
        #expect(bytes(dir.file("one.json")) == bytes(validation))
        let unknown = try dsv(["checkout", "HEAD", "-o", "x.json", "--subset", "Test"], in: dir.path)
        #expect(unknown.status == 2 && unknown.stderr.contains("no subset Test; its subsets: Train, Validation"))
        #expect(try gitFsck(dir.file(".dsv")).status == 0)

        // The same zip again, or the folder it extracts to: nothing changed.
        #expect(try dsv(["commit", "round1.zip", "-m", "again"], in: dir.path).stdout.contains("nothing changed"))
        #expect(try runProcess("python3", ["-m", "zipfile", "-e", "round1.zip", "extracted"], in: dir.path).status == 0)
        let folder = try dsv(["commit", "extracted", "-m", "folder"], in: dir.path)
        #expect(folder.status == 0 && folder.stdout.contains("nothing changed"), "\(folder.stdout)\(folder.stderr)")
        let empty = try dsv(["commit", "data/annotations", "-m", "not an export"], in: dir.path)
        #expect(empty.status == 65 && empty.stderr.contains("no annotations/*.json inside"), "\(empty.stderr)")
    }

    @Test func subsetMovesInDiffAndStatus() throws {
        let (train1, validation1) = try split(tennis, task: "instances", at: 400, into: dir.file("r1"))
        try makeZip(dir.file("round1.zip"), ["annotations/instances_Train.json=\(train1)", "annotations/instances_Validation.json=\(validation1)"])
        // Round 2: images 400 and 401 move to Train, image 5 to Validation.
        let (train2, validation2) = try split(tennis, task: "instances", at: 400, moved: [5, 400, 401], into: dir.file("r2"))
        try makeZip(dir.file("round2.zip"), ["annotations/instances_Train.json=\(train2)", "annotations/instances_Validation.json=\(validation2)"])
        #expect(try dsv(["commit", "round1.zip", "-m", "round 1"], in: dir.path).status == 0)

        let status = try dsv(["status", "round2.zip", "--json"], in: dir.path)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try dsv(["commit", "round2.zip", "-m", "round 2"], in: dir.path).status == 0)
        let diff = try dsv(["diff", "--json"], in: dir.path)
        for result in [status, diff] {
            let document = try json(result)
            let summary = document["summary"] as! [String: Any]
            #expect((summary["images"] as? [String: Int]) == ["added": 0, "removed": 0, "modified": 3, "unchanged": 538])
            #expect((summary["per_subset"] as? [String: [String: Int]]) == ["Train": ["before": 400, "after": 401, "delta": 1],
                                                                          "Validation": ["before": 141, "after": 140, "delta": -1]])
            let images = document["images"] as! [[String: Any]]
            #expect(images.map { $0["key"] as! String } == ["frame_000005.png", "frame_000400.png", "frame_000401.png"])
            #expect(images.map { $0["subset"] as! [String: String] } == [
                ["from": "Train", "to": "Validation"], ["from": "Validation", "to": "Train"], ["from": "Validation", "to": "Train"],
            ])
        }
        // status of loose files named as commit --subset would name them.
        let loose = try json(try dsv(["status", tennis, "--files-subset", "Train", "--json"], in: dir.path))
        #expect((loose["summary"] as! [String: Any])["images"] as? [String: Int] == ["added": 0, "removed": 0, "modified": 140, "unchanged": 401])
        let human = try dsv(["diff"], in: dir.path).stdout
        #expect(human.contains("M frame_000400.png\n    subset: Validation → Train"))
        #expect(human.contains("subset      images before  after  delta\nTrain                 400    401     +1\nValidation            141    140     -1\n"),
                "\(human)")
        let filtered = try json(try dsv(["diff", "--json", "--subset", "Validation", "--path", "frame_0000"], in: dir.path))
        #expect((filtered["images"] as! [[String: Any]]).map { $0["key"] as! String } == ["frame_000005.png"])
        #expect(filtered["filter"] as? String == "path frame_0000, subset Validation")
    }

    @Test func keypointExports() throws {
        // CVAT's COCO Keypoints export of one task, images inside.
        let image = dir.write("img.jpg", "\u{FF}\u{D8} not really")
        try makeZip(dir.file("kp.zip"), ["annotations/person_keypoints_default.json=\(Self.keypoints)", "--stored", "images/default/a.jpg=\(image)"])
        #expect(try dsv(["commit", "kp.zip", "-m", "keypoints"], in: dir.path).status == 0)
        #expect(try json(try dsv(["show", "--json"], in: dir.path))["subsets"] as? [String: Int] == ["default": 2])
        #expect(try dsv(["checkout", "HEAD", "-o", "kp/"], in: dir.path).status == 0)
        #expect(bytes(dir.file("kp/annotations/person_keypoints_default.json")) == bytes(Self.keypoints), "the export, byte for byte")

        // Keypoints with compressed RLE masks, split into person_keypoints_Train/Validation.
        let other = TemporaryDirectory("dsv-kp")
        #expect(try dsv(["init"], in: other.path).status == 0)
        let (train, validation) = try split(Self.compressedRLE, task: "person_keypoints", at: 2, into: other.file("split"))
        try makeZip(other.file("oc.zip"), ["annotations/person_keypoints_Train.json=\(train)", "annotations/person_keypoints_Validation.json=\(validation)"])
        let commit = try dsv(["commit", "oc.zip", "-m", "ochuman"], in: other.path)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(try dsv(["checkout", "HEAD", "-o", "out/"], in: other.path).status == 0)
        #expect(bytes(other.file("out/annotations/person_keypoints_Train.json")) == bytes(train))
        #expect(bytes(other.file("out/annotations/person_keypoints_Validation.json")) == bytes(validation))
    }

    @Test func zipsAndLooseFilesCombine() throws {
        let (train, validation) = try split(tennis, task: "instances", at: 500, into: dir.file("r"))
        try makeZip(dir.file("train.zip"), ["annotations/instances_Train.json=\(train)"])
        let commit = try dsv(["commit", "train.zip", validation, "-m", "both"], in: dir.path)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(try json(try dsv(["show", "--json"], in: dir.path))["subsets"] as? [String: Int] == ["Train": 500, "Validation": 41])

        // Per-job zips of one subset merge; a zip made on Windows names its folders with '\'.
        let (job1, job2) = try split(Self.keypoints, task: "person_keypoints", at: 1, into: dir.file("jobs"))
        try makeZip(dir.file("job1.zip"), ["annotations/person_keypoints_Train.json=\(job1)"])
        try makeZip(dir.file("job2.zip"), ["annotations\\person_keypoints_Train.json=\(job2)"])
        let jobs = TemporaryDirectory("dsv-jobs")
        #expect(try dsv(["init"], in: jobs.path).status == 0)
        let merged = try dsv(["commit", dir.file("job1.zip"), dir.file("job2.zip"), "-m", "two jobs"], in: jobs.path)
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try json(try dsv(["show", "--json"], in: jobs.path))["subsets"] as? [String: Int] == ["Train": 2])

        // --subset names loose files only.
        let zipOnly = try dsv(["commit", "train.zip", "--subset", "Test", "-m", "x"], in: dir.path)
        #expect(zipOnly.status == 2 && zipOnly.stderr.contains("--subset names the subset of loose JSON files"))
        let badName = try dsv(["commit", validation, "--subset", "../up", "-m", "x"], in: dir.path)
        #expect(badName.status == 2 && badName.stderr.contains("--subset"))
        let lone = TemporaryDirectory("dsv-lone")
        #expect(try dsv(["init"], in: lone.path).status == 0)
        #expect(try dsv(["commit", tennis, "--subset", "Train", "-m", "lone"], in: lone.path).status == 0)
        #expect(try json(try dsv(["show", "--json"], in: lone.path))["subsets"] as? [String: Int] == ["Train": 541])
        #expect(try dsv(["checkout", "HEAD", "-o", "one.json"], in: lone.path).status == 0, "the only subset needs no --subset")
        #expect(bytes(lone.file("one.json")) == bytes(tennis))
    }

    @Test func damagedZipsCommitNothing() throws {
        let (train, validation) = try split(tennis, task: "instances", at: 400, into: dir.file("r"))
        try makeZip(dir.file("good.zip"), ["annotations/instances_Train.json=\(train)", "annotations/instances_Validation.json=\(validation)"])
        #expect(try dsv(["commit", Self.keypoints, "-m", "first"], in: dir.path).status == 0)
        let head = try dsv(["log", "--json"], in: dir.path).stdout
        let good = [UInt8](bytes(dir.file("good.zip")))
        var flipped = good
        flipped[good.count / 3] ^= 0x40
        let cases: [(String, [UInt8], String)] = [
            ("truncated.zip", Array(good.prefix(good.count / 2)), "not a readable zip archive"),
            ("flipped.zip", flipped, "not a readable zip archive"),
            ("empty-ish.zip", Array("PK\u{3}\u{4}".utf8), "not a readable zip archive"),
        ]
        for (name, data, message) in cases {
            _ = FileManager.default.createFile(atPath: dir.file(name), contents: Data(data))
            let result = try dsv(["commit", name, "-m", "bad"], in: dir.path)
            #expect(result.status == 65, "\(name): \(result.stderr)")
            #expect(result.stderr.hasPrefix("dsv: error: \(name): \(message)") && result.stderr.split(separator: "\n").count == 1,
                    "\(name): \(result.stderr)")
        }
        // A zip without annotations, and one whose JSON is bad: exit 65, named inside the zip.
        try makeZip(dir.file("images-only.zip"), ["images/default/a.jpg=\(train)"])
        let imagesOnly = try dsv(["commit", "images-only.zip", "-m", "bad"], in: dir.path)
        #expect(imagesOnly.status == 65 && imagesOnly.stderr.contains("no annotations/*.json inside"))
        let broken = dir.write("broken.json", #"{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":2}]}"#)
        try makeZip(dir.file("broken.zip"), ["annotations/instances_Train.json=\(broken)"])
        let brokenResult = try dsv(["commit", "broken.zip", "-m", "bad"], in: dir.path)
        #expect(brokenResult.status == 65 && brokenResult.stderr.contains("broken.zip/annotations/instances_Train.json"), "\(brokenResult.stderr)")
        // An image in two subsets.
        try makeZip(dir.file("twice.zip"), ["annotations/instances_Train.json=\(train)", "annotations/instances_Validation.json=\(train)"])
        let twice = try dsv(["commit", "twice.zip", "-m", "bad"], in: dir.path)
        #expect(twice.status == 65 && twice.stderr.contains("is in subset Train") && twice.stderr.contains("and in subset Validation"))

        #expect(try dsv(["log", "--json"], in: dir.path).stdout == head, "nothing committed")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }
}
