import DSVTestSupport
import Foundation
import Testing

/// A version made ready for training in one command — `checkout -o DIR/ --images` and `--zip` —
/// read back by the tools of the field (Datumaro, pycocotools), and split across the nodes of a
/// training job by the launcher's variables (`--shard auto`).
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 (make test)"))
struct TrainingCheckoutTests {
    let s3 = TestS3.current!
    let dir = TemporaryDirectory("dsv-training")
    let bucket: String

    /// 8 Train images and 4 Validation images, real PNGs, in folders, with 2 boxes each.
    static let names = (0..<12).map { "batch_\($0 / 6)/frame_\($0).png" }

    init() throws {
        bucket = try s3.makeBucket("training")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let client = try s3.client()
        for (index, name) in Self.names.enumerated() {
            try client.putObject(bucket: bucket, key: "p/\(name)", body: try png(32 + index, 24))
        }
        for (subset, range) in [("Train", 0..<8), ("Validation", 8..<12)] {
            let images = range.map { #"{"id":\#($0 + 1),"width":\#(32 + $0),"height":24,"file_name":"\#(Self.names[$0])"}"# }
            let boxes = range.flatMap { i in
                [#"{"id":\#(2 * i + 1),"image_id":\#(i + 1),"category_id":1,"bbox":[1,2,10,8],"area":80,"iscrowd":0,"segmentation":[]}"#,
                 #"{"id":\#(2 * i + 2),"image_id":\#(i + 1),"category_id":2,"bbox":[4.5,3,6,6],"area":36,"iscrowd":0,"segmentation":[]}"#]
            }
            dir.write("export/instances_\(subset).json", #"{"licenses":[{"name":"","id":0,"url":""}],"images":[\#(images.joined(separator: ","))],"annotations":[\#(boxes.joined(separator: ","))],"categories":[{"id":1,"name":"ship","supercategory":""},{"id":2,"name":"buoy","supercategory":""}]}"#)
        }
        try makeZip(dir.file("round.zip"), ["annotations/instances_Train.json=\(dir.file("export/instances_Train.json"))",
                                            "annotations/instances_Validation.json=\(dir.file("export/instances_Validation.json"))"])
        let commit = try dsv(["commit", "round.zip", "--images", "s3://\(bucket)/p/", "-m", "round 7"], in: dir.path)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(try dsv(["tag", "round7"], in: dir.path).status == 0)
    }

    func png(_ width: Int, _ height: Int) throws -> [UInt8] {
        let script = """
            import struct, sys, zlib
            w, h = int(sys.argv[1]), int(sys.argv[2])
            rows = b"".join(b"\\x00" + b"".join(bytes([(x * 7) % 256, (y * 9) % 256, 140]) for x in range(w)) for y in range(h))
            chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
            sys.stdout.buffer.write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
            """
        let out = dir.file("png-\(width).png")
        let result = try runProcess("sh", ["-c", "python3 -c \"$SCRIPT\" \(width) \(height) > \(out)"], environment: ["SCRIPT": script])
        #expect(result.status == 0, "\(result.stderr)")
        return [UInt8](FileManager.default.contents(atPath: out) ?? Data())
    }

    func read(_ path: String) throws -> [String: [String: Int]] {
        let result = try runProcess("python3", [supportScript("read_training_data"), path])
        try #require(result.status == 0, "\(result.stderr.suffix(1500))")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.split(separator: "\n").last.map { Data($0.utf8) } ?? Data())) as! [String: [String: Int]]
    }

    static let everything: [String: [String: Int]] = [
        "Train": ["items": 8, "annotations": 16, "images_decoded": 8, "coco_images": 8, "coco_annotations": 16],
        "Validation": ["items": 4, "annotations": 8, "images_decoded": 4, "coco_images": 4, "coco_annotations": 8],
    ]

    @Test func aFolderDatumaroAndPycocotoolsRead() throws {
        let result = try dsv(["checkout", "round7", "-o", "data/", "--images", "--cache", "cache"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote \(dir.path)/data/annotations/instances_Train.json (subset Train: 8 images, 16 annotations)")
                || result.stdout.contains("wrote data/annotations/instances_Train.json (subset Train: 8 images, 16 annotations)"), "\(result.stdout)")
        #expect(result.stdout.contains("12 images in data/images: 12 downloaded"), "\(result.stdout)")
        #expect(FileManager.default.fileExists(atPath: dir.file("data/images/Train/batch_0/frame_0.png")))
        #expect(FileManager.default.fileExists(atPath: dir.file("data/images/Validation/batch_1/frame_11.png")))
        #expect(FileManager.default.contents(atPath: dir.file("data/annotations/instances_Train.json"))
                == FileManager.default.contents(atPath: dir.file("export/instances_Train.json")), "byte for byte")
        #expect(try read(dir.file("data")) == Self.everything)
    }

    @Test func aZipCVATAndDsvTakeBack() throws {
        let plain = try dsv(["checkout", "round7", "--zip", "labels.zip"], in: dir.path)
        #expect(plain.status == 0 && plain.stdout.hasPrefix("wrote \(dir.path)/labels.zip from ") || plain.stdout.hasPrefix("wrote labels.zip from "),
                "\(plain.stdout)\(plain.stderr)")
        let withImages = try dsv(["checkout", "round7", "--zip", "dataset.zip", "--images", "--cache", "cache"], in: dir.path)
        #expect(withImages.status == 0, "\(withImages.stderr)")
        let listing = try runProcess("python3", ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('\\n'.join(z.namelist()))",
                                                 dir.file("dataset.zip")])
        #expect(listing.status == 0, "\(listing.stderr)")
        #expect(listing.stdout.split(separator: "\n").prefix(3) == ["annotations/instances_Train.json", "annotations/instances_Validation.json",
                                                                    "images/Train/batch_0/frame_0.png"])
        #expect(listing.stdout.split(separator: "\n").count == 14)
        #expect(try read(dir.file("dataset.zip")) == Self.everything)
        var annotationsOnly = Self.everything
        for subset in annotationsOnly.keys { annotationsOnly[subset]!["images_decoded"] = 0 }
        #expect(try read(dir.file("labels.zip")) == annotationsOnly)

        // dsv commit takes each zip back: the same manifest, in a fresh repository pinning the same prefix.
        let manifest = try dsv(["show", "round7", "--json"], in: dir.path).stdout.manifestLine
        for zip in ["labels.zip", "dataset.zip"] {
            let again = TemporaryDirectory("dsv-training-again")
            #expect(try dsv(["init"], in: again.path).status == 0)
            let commit = try dsv(["commit", dir.file(zip), "--images", "s3://\(bucket)/p/", "-m", "back"], in: again.path)
            #expect(commit.status == 0, "\(commit.stderr)")
            #expect(try dsv(["show", "--json"], in: again.path).stdout.manifestLine == manifest, "\(zip)")
        }
        // Written atomically: nothing but the zips beside them.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") && $0 != ".dsv" }.isEmpty)
    }

    /// Each launcher's variables take one part; the parts are disjoint and together the whole.
    @Test func shardAutoFromTheLaunchersVariables() throws {
        var taken: [String] = []
        for rank in 0..<3 {
            let result = try dsv(["checkout", "round7", "-o", "shared/", "--images", "--shard", "auto", "--cache", "cache", "--json"],
                                 in: dir.path, environment: ["RANK": String(rank), "WORLD_SIZE": "3"])
            #expect(result.status == 0, "\(result.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
            let shard = document["shard"] as! [String: Any]
            #expect(shard["index"] as? Int == rank + 1 && shard["count"] as? Int == 3 && shard["from"] as? String == "RANK/WORLD_SIZE")
            #expect((document["images"] as! [String: Any])["files"] as? Int == 4)
        }
        taken = try FileManager.default.subpathsOfDirectory(atPath: dir.file("shared/images")).filter { $0.hasSuffix(".png") }
        #expect(taken.count == 12, "the parts together are the whole: \(taken.sorted())")

        for (variables, expected) in [(["SLURM_PROCID": "1", "SLURM_NTASKS": "4"], "2/4 from SLURM_PROCID/SLURM_NTASKS"),
                                      (["OMPI_COMM_WORLD_RANK": "0", "OMPI_COMM_WORLD_SIZE": "2"], "1/2 from OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE")] {
            let result = try dsv(["materialize", "round7", "--out", "m", "--shard", "auto", "--cache", "cache"], in: dir.path, environment: variables)
            #expect(result.status == 0 && result.stdout.contains("(shard \(expected))"), "\(result.stdout)\(result.stderr)")
        }
        let none = try dsv(["materialize", "round7", "--out", "m", "--shard", "auto"], in: dir.path)
        #expect(none.status == 2 && none.stderr.hasPrefix("dsv: error: --shard auto: no launcher set RANK and WORLD_SIZE"), "\(none.stderr)")
        let bad = try dsv(["materialize", "round7", "--out", "m", "--shard", "auto"], in: dir.path, environment: ["RANK": "3", "WORLD_SIZE": "3"])
        #expect(bad.status == 2 && bad.stderr.contains("RANK=3 and WORLD_SIZE=3 name no part"), "\(bad.stderr)")
    }

    /// An image that changed in S3 since the commit is named, not written, and no zip is made.
    @Test func aChangedObjectIsNamedAndLeavesNoPartialEntry() throws {
        try s3.client().putObject(bucket: bucket, key: "p/batch_0/frame_3.png", body: try png(99, 24))
        let result = try dsv(["checkout", "round7", "-o", "fresh/", "--images", "--cache", "cache2"], in: dir.path)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("changed  p/batch_0/frame_3.png  (changed in S3 since commit; not written)"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("fresh/images/Train/batch_0/frame_3.png")))
        let left = try FileManager.default.subpathsOfDirectory(atPath: dir.file("fresh/images"))
        #expect(!left.contains { ($0 as NSString).lastPathComponent.hasPrefix(".") }, "no temporary file: \(left)")
        let zip = try dsv(["checkout", "round7", "--zip", "broken.zip", "--images", "--cache", "cache2"], in: dir.path)
        #expect(zip.status == 1 && zip.stdout.contains("no zip written"), "\(zip.stdout)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("broken.zip")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") && $0 != ".dsv" }.isEmpty)
    }
}

extension TrainingCheckoutTests {
    /// The exit codes of SPEC §8 as `materialize` gives them: S3 unreachable 69, no credentials 2
    /// (before anything is written), each in one line; no zip either way.
    @Test func aDeadServerIsExit69AndNoCredentialsExit2() throws {
        for destination in [["-o", "dead/"], ["--zip", "dead.zip"]] {
            let dead = try dsv(["checkout", "round7", "--images", "--cache", "cache3"] + destination, in: dir.path,
                               environment: ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"])
            #expect(dead.status == 69, "\(dead.stderr)")
            #expect(dead.stderr.hasPrefix("dsv: error: ") && dead.stderr.contains("S3 unavailable"), "\(dead.stderr)")
            #expect(dead.stderr.split(separator: "\n").count == 1)
            let unsigned = try dsv(["checkout", "round7", "--images", "--cache", "cache3"] + destination, in: dir.path,
                                   environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "none",
                                                 "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"])
            #expect(unsigned.status == 2, "\(unsigned.stderr)")
            #expect(unsigned.stderr.hasPrefix("dsv: error: S3 configuration: no credentials"), "\(unsigned.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("dead.zip")))
        #expect(!FileManager.default.fileExists(atPath: dir.file("dead/images/Train/batch_0/frame_0.png")))
    }
}

extension String {
    /// The `"manifest"` line of `show --json`.
    var manifestLine: String? { split(separator: "\n").first { $0.contains("\"manifest\"") }.map(String.init) }
}
