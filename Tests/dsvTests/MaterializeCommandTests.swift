import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// `dsv materialize` as a user runs it against the test S3: the files it writes must be the
/// exact bytes that were pinned at commit.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 server (make test)"))
struct MaterializeCommandTests {
    let s3 = TestS3.current!

    /// A repository whose version pins `count` images uploaded under `s3://bucket/p/`.
    struct Project {
        let dir: TemporaryDirectory
        let bucket: String
        var contents: [String: [UInt8]]
        var cache: String { dir.file("cache") }

        func file(_ out: String, _ name: String) -> [UInt8]? {
            FileManager.default.contents(atPath: dir.file("\(out)/\(name)")).map { [UInt8]($0) }
        }

        /// Every image of the version is in `out` with its pinned bytes.
        func isComplete(_ out: String, names: some Sequence<String>) -> Bool {
            names.allSatisfy { file(out, $0) == contents[$0] }
        }
    }

    func project(_ count: Int, label: String = "mat", versioned: Bool = false, names: ((Int) -> String)? = nil) throws -> Project {
        let bucket = try s3.makeBucket(label)
        let client = try s3.client()
        if versioned { try client.enableVersioning(bucket: bucket) }
        var contents: [String: [UInt8]] = [:]
        var generator = SystemRandomNumberGenerator()
        for i in 0..<count {
            let name = names?(i) ?? "batch_\(i % 3)/frame \(i).jpg"
            let bytes = (0..<(200 + i * 37 % 900)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try client.putObject(bucket: bucket, key: "p/\(name)", body: bytes)
            contents[name] = bytes
        }
        let dir = TemporaryDirectory("dsv-mat")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let project = Project(dir: dir, bucket: bucket, contents: contents)
        try commit(project, names: Array(contents.keys).sorted(), message: "r1")
        return project
    }

    func commit(_ project: Project, names: [String], message: String) throws {
        let images = names.enumerated().map { #"{"id":\#($0.offset + 1),"file_name":"\#($0.element)"}"# }
        project.dir.write("e.json", #"{"images":[\#(images.joined(separator: ","))],"annotations":[]}"#)
        let result = try dsv(["commit", "e.json", "-m", message, "--images", "s3://\(project.bucket)/p/"], in: project.dir.path)
        #expect(result.status == 0, "\(result.stderr)")
    }

    func materialize(_ project: Project, _ extra: [String] = [], out: String = "out", revision: String = "HEAD",
                     environment: [String: String] = [:]) throws -> (ProcessResult, [String: Any]) {
        let result = try dsv(["materialize", revision, "--out", out, "--cache", project.cache, "--json"] + extra,
                             in: project.dir.path, environment: environment)
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result, json)
    }

    @Test func writesEveryImageExactlyThenRerunsFromTheCache() throws {
        let project = try project(12)
        let (first, json) = try materialize(project)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(project.isComplete("out", names: project.contents.keys))
        #expect(json["files"] as? Int == 12 && json["downloaded"] as? Int == 12 && json["from_cache"] as? Int == 0)
        #expect(json["bytes_downloaded"] as? Int == project.contents.values.map(\.count).reduce(0, +))
        #expect((json["changed"] as? [String])?.isEmpty == true)

        let (again, rerun) = try materialize(project)
        #expect(again.status == 0)
        #expect(rerun["downloaded"] as? Int == 0 && rerun["from_cache"] as? Int == 12 && rerun["already_present"] as? Int == 12)

        // Another folder fed from the same cache: no download either.
        let (other, elsewhere) = try materialize(project, out: "elsewhere")
        #expect(other.status == 0)
        #expect(elsewhere["downloaded"] as? Int == 0 && elsewhere["bytes_downloaded"] as? Int == 0)
        #expect(project.isComplete("elsewhere", names: project.contents.keys))

        let human = try dsv(["materialize", "--out", "third", "--cache", project.cache], in: project.dir.path)
        #expect(human.stdout == "12 files in third: 0 downloaded (0 B), 12 from cache\n")
        #expect(human.stderr.isEmpty, "no progress bar when stderr is not a terminal")
    }

    /// The next version downloads only its new objects; the rest come from the cache.
    @Test func theNextVersionDownloadsOnlyWhatIsNew() throws {
        var project = try project(6)
        let client = try s3.client()
        var names = Array(project.contents.keys).sorted()
        for name in ["new/a.jpg", "new/b.jpg"] {
            let bytes = Array("fresh \(name)".utf8)
            try client.putObject(bucket: project.bucket, key: "p/\(name)", body: bytes)
            project.contents[name] = bytes
            names.append(name)
        }
        names.removeFirst()
        try commit(project, names: names, message: "r2")
        #expect(try materialize(project, revision: "HEAD~1").0.status == 0)
        let (result, json) = try materialize(project)
        #expect(result.status == 0)
        #expect(json["downloaded"] as? Int == 2 && json["from_cache"] as? Int == 5)
        #expect(project.isComplete("out", names: names))
    }

    /// An image relabeled with new bytes under the same name: each version's materialization
    /// puts its own bytes in place, and the older version comes back from the cache without a
    /// GET even though S3 no longer holds those bytes.
    @Test func eachVersionGetsItsOwnBytesUnderTheSameName() throws {
        var project = try project(3)
        let name = project.contents.keys.sorted()[0]
        let old = project.contents[name]!
        let new = Array("re-encoded \(name)".utf8)
        #expect(try materialize(project).0.status == 0)
        try s3.client().putObject(bucket: project.bucket, key: "p/\(name)", body: new)
        project.contents[name] = new
        try commit(project, names: project.contents.keys.sorted(), message: "r2")
        let (second, json) = try materialize(project)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(json["downloaded"] as? Int == 1)
        #expect(project.file("out", name) == new)
        let (back, again) = try materialize(project, revision: "HEAD~1")
        #expect(back.status == 0)
        #expect(again["downloaded"] as? Int == 0)
        #expect(project.file("out", name) == old)
    }

    /// On a versioned bucket the pinned version is fetched even after the key was overwritten.
    @Test func versionedBucketsGiveThePinnedVersion() throws {
        let project = try project(4, label: "matv", versioned: true)
        let name = project.contents.keys.sorted()[0]
        try s3.client().putObject(bucket: project.bucket, key: "p/\(name)", body: Array("overwritten".utf8))
        let (result, json) = try materialize(project)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["downloaded"] as? Int == 4)
        #expect(project.file("out", name) == project.contents[name], "the pinned bytes, not the new ones")
    }

    /// An object overwritten (or deleted) in a plain bucket is reported by key, its file is not
    /// written, the others are, and the exit code is 1.
    @Test func changedAndDeletedObjectsAreReportedAndNotWritten() throws {
        let project = try project(5)
        let names = project.contents.keys.sorted()
        let client = try s3.client()
        try client.putObject(bucket: project.bucket, key: "p/\(names[0])", body: Array("overwritten".utf8))
        try client.deleteObject(bucket: project.bucket, key: "p/\(names[1])")
        let (result, json) = try materialize(project)
        #expect(result.status == 1)
        #expect(json["changed"] as? [String] == ["p/\(names[0])"])
        #expect(json["missing"] as? [String] == ["p/\(names[1])"])
        #expect(json["downloaded"] as? Int == 3)
        #expect(project.file("out", names[0]) == nil && project.file("out", names[1]) == nil)
        #expect(project.isComplete("out", names: names.dropFirst(2)))
        let human = try dsv(["materialize", "--out", "human", "--cache", project.cache], in: project.dir.path)
        #expect(human.status == 1)
        #expect(human.stdout.contains("changed  p/\(names[0])  (changed in S3 since commit; not written)"))
        #expect(human.stdout.contains("missing  p/\(names[1])"))
    }

    /// Multipart objects (ETag `…-N`, not an MD5) are checked by size and ETag.
    @Test func multipartObjects() throws {
        let project = try project(1)
        let part = [UInt8](repeating: 7, count: 5 << 20)
        try s3.client().putObjectMultipart(bucket: project.bucket, key: "p/big.bin", parts: [part, [1, 2, 3]])
        try commit(project, names: ["big.bin"], message: "r2")
        let (result, json) = try materialize(project)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["downloaded"] as? Int == 1)
        #expect(project.file("out", "big.bin") == part + [1, 2, 3])
    }

    @Test func shardsPartitionTheVersion() throws {
        let project = try project(10)
        var seen: [String] = []
        for index in 1...3 {
            let out = "shard\(index)"
            let (result, json) = try materialize(project, ["--shard", "\(index)/3"], out: out)
            #expect(result.status == 0, "\(result.stderr)")
            let files = json["files"] as? Int ?? 0
            #expect(files == 3 || files == 4)
            let names = project.contents.keys.filter { project.file(out, $0) != nil }
            #expect(names.count == files && project.isComplete(out, names: names))
            seen += names
        }
        #expect(seen.sorted() == project.contents.keys.sorted(), "together exactly the version, no image twice")
        let bad = try dsv(["materialize", "--out", "x", "--shard", "4/3"], in: project.dir.path)
        #expect(bad.status == 2 && bad.stderr.contains("invalid shard '4/3'"))
    }

    /// `--subset Train`: only the training images (here committed from a zip with two subsets).
    @Test func onlyOneSubset() throws {
        let project = try project(8)
        let names = project.contents.keys.sorted()
        func document(_ part: ArraySlice<String>) -> String {
            let images = part.enumerated().map { #"{"id":\#($0.offset + 1),"file_name":"\#($0.element)"}"# }
            return #"{"images":[\#(images.joined(separator: ","))],"annotations":[]}"#
        }
        let train = project.dir.write("train.json", document(names[..<5])), validation = project.dir.write("val.json", document(names[5...]))
        try makeZip(project.dir.file("export.zip"), ["annotations/instances_Train.json=\(train)", "annotations/instances_Validation.json=\(validation)"])
        #expect(try dsv(["commit", "export.zip", "-m", "split"], in: project.dir.path).status == 0)
        let (result, json) = try materialize(project, ["--subset", "Validation"], out: "val")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["files"] as? Int == 3)
        #expect(project.isComplete("val", names: names[5...]))
        #expect(names[..<5].allSatisfy { project.file("val", $0) == nil }, "no training image")
        let unknown = try dsv(["materialize", "--out", "x", "--subset", "Test"], in: project.dir.path)
        #expect(unknown.status == 2 && unknown.stderr.contains("no subset Test; its subsets: Train, Validation"))
    }

    /// A folder on the way that is a symlink would lead outside: refused, nothing written there.
    @Test func symlinksInTheOutputAreNotFollowed() throws {
        let project = try project(3, names: { "sub/img\($0).jpg" })
        let outside = TemporaryDirectory("dsv-outside")
        try FileManager.default.createDirectory(atPath: project.dir.file("out"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.dir.file("out/sub"), withDestinationPath: outside.path)
        let (result, _) = try materialize(project)
        #expect(result.status == 65)
        #expect(result.stderr.contains("goes through the symlink sub"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }

    /// An export made from local folders names its images `/data/…` or `../…`: a valid COCO
    /// file, committed, checked out and diffed as it is; only placing its images as files is
    /// refused — by materialize and a training checkout alike, before anything is written.
    @Test func namesThatWouldLandOutsideAreCommittedButNotPlaced() throws {
        let project = try project(1, names: { _ in "inside.jpg" })
        let outside = TemporaryDirectory("dsv-outside")
        let export = #"{"images":[{"id":1,"file_name":"inside.jpg"},{"id":2,"file_name":"\#(outside.path)/abs.jpg"},"#
            + #"{"id":3,"file_name":"../up.jpg"}],"annotations":[{"id":1,"image_id":3,"category_id":1,"bbox":[1,2,3,4]},"#
            + #"{"id":2,"image_id":1,"category_id":1,"bbox":[5,6,7,8]}],"#
            + #""categories":[{"id":1,"name":"car"}]}"#
        project.dir.write("local.json", export)
        let commit = try dsv(["commit", "local.json", "-m", "local", "--allow-missing"], in: project.dir.path)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(try dsv(["checkout", "HEAD", "-o", "back.json"], in: project.dir.path).status == 0)
        #expect(try String(contentsOfFile: project.dir.file("back.json"), encoding: .utf8) == export)
        let diff = try dsv(["diff"], in: project.dir.path)
        #expect(diff.stdout.contains("A ../up.jpg") && diff.stdout.contains("A \(outside.path)/abs.jpg"), "\(diff.stdout)")

        let (result, _) = try materialize(project)
        #expect(result.status == 65)
        #expect(result.stderr == "dsv: error: file name \"../up.jpg\" has a '..' component and would land outside the images folder; "
                + "nothing is written outside the output folder (refused too: \"\(outside.path)/abs.jpg\")\n")
        #expect(!FileManager.default.fileExists(atPath: project.dir.file("out")), "nothing written, not even the folder")
        let training = try dsv(["checkout", "HEAD", "-o", "train/", "--images", "--cache", project.cache], in: project.dir.path)
        #expect(training.status == 65)
        #expect(training.stderr.contains("\"../up.jpg\" has a '..' component"), "\(training.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.dir.file("train")), "no annotations without their images")
        let zip = try dsv(["checkout", "HEAD", "--zip", "set.zip", "--images", "--cache", project.cache], in: project.dir.path)
        #expect(zip.status == 65 && !FileManager.default.fileExists(atPath: project.dir.file("set.zip")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        // The review page shows them without a picture rather than one from outside the folder.
        let review = try dsv(["diff", "HEAD~1", "--html", "review.html", "--images-from", "imgs"], in: project.dir.path)
        #expect(review.status == 0, "\(review.stderr)")
        let page = try String(contentsOfFile: project.dir.file("review.html"), encoding: .utf8)
        #expect(page.contains(#""urls":[null,null,"imgs/inside.jpg"]"#))
    }

    /// Refused as such by every command that would fetch its images — also where no S3
    /// credentials are set, which such a version never needs — and nothing is written.
    @Test func aVersionWithoutImagesPrefixIsRefused() throws {
        let dir = TemporaryDirectory("dsv-mat")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("e.json", #"{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[]}"#)
        #expect(try dsv(["commit", "e.json", "-m", "r1"], in: dir.path).status == 0)
        let noCredentials = ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "none",
                             "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent"]
        for environment in [[:], noCredentials] {
            for command in [["materialize", "--out", "x"], ["verify"], ["checkout", "HEAD", "-o", "x/", "--images"],
                            ["checkout", "HEAD", "--zip", "x.zip", "--images"]] {
                let result = try dsv(command, in: dir.path, environment: environment)
                #expect(result.status == 2, "\(command): \(result.stderr)")
                #expect(result.stderr.hasPrefix("dsv: error: version ") && result.stderr.contains("pins no S3 objects"),
                        "\(command): \(result.stderr)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == [".dsv", "e.json"])
    }

    /// Killed with SIGKILL mid-run: no partial file under a final name; the rerun downloads only
    /// what is missing and finishes.
    @Test func aKilledRunResumes() throws {
        let project = try project(240, label: "matk")
        let proxy = try FaultProxy(upstream: s3.endpoint, slowDown: 0, drop: 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dsvBinary)
        process.arguments = ["materialize", "--out", "out", "--cache", project.cache, "-j", "1"]
        process.currentDirectoryURL = URL(fileURLWithPath: project.dir.path)
        process.environment = ProcessInfo.processInfo.environment.merging(["AWS_ENDPOINT_URL_S3": proxy.endpoint]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var written: [String] = []
        while process.isRunning && written.count < 40 {
            usleep(5_000)
            written = project.contents.keys.filter { FileManager.default.fileExists(atPath: project.dir.file("out/\($0)")) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(written.count >= 40 && written.count < 240, "the kill landed mid-run")
        let present = project.contents.keys.filter { project.file("out", $0) != nil }
        #expect(project.isComplete("out", names: present), "every file under its final name is complete")
        let (rerun, json) = try materialize(project)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect((json["downloaded"] as? Int ?? 0) <= 240 - present.count)
        #expect(project.isComplete("out", names: project.contents.keys))
    }

    /// The server dies mid-run: exit 69 with one line, the files written are whole, and a rerun
    /// against the healthy server finishes.
    @Test func aDyingServerIsExit69AndARerunFinishes() throws {
        let project = try project(60, label: "matd")
        let proxy = try FaultProxy(upstream: s3.endpoint, slowDown: 0, drop: 0, dieAfter: 25)
        let start = Date()
        let (dying, _) = try materialize(project, ["-j", "4"], environment: ["AWS_ENDPOINT_URL_S3": proxy.endpoint])
        #expect(dying.status == 69, "\(dying.stderr)")
        #expect(dying.stderr.hasPrefix("dsv: error: GET s3://\(project.bucket)/p/"))
        #expect(dying.stderr.split(separator: "\n").count == 1)
        #expect(Date().timeIntervalSince(start) < 60)
        let present = project.contents.keys.filter { project.file("out", $0) != nil }
        #expect(present.count < 60 && project.isComplete("out", names: present))
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: project.dir.file("out")).filter { $0.contains("dsv-tmp") }
        #expect(leftovers.isEmpty)
        let (rerun, json) = try materialize(project)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(json["downloaded"] as? Int == 60 - present.count)
        #expect(project.isComplete("out", names: project.contents.keys))
    }

    /// Through 15% 503 SlowDown answers and 5% dropped connections every file arrives exact.
    @Test func slowDownsAndDropsAreRetried() throws {
        let project = try project(80, label: "matf")
        let proxy = try FaultProxy(upstream: s3.endpoint, slowDown: 0.15, drop: 0.05)
        let (result, json) = try materialize(project, environment: ["AWS_ENDPOINT_URL_S3": proxy.endpoint])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(json["downloaded"] as? Int == 80)
        #expect(project.isComplete("out", names: project.contents.keys))
    }
}
