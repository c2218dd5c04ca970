import DSVTestSupport
import Foundation
import Testing

/// A labeling round taken straight from CVAT, as a user runs it: `dsv commit <project URL>`
/// against the suite's CVAT (`Tests/Support/cvat_server.py`) and the test S3, where the tasks'
/// cloud storage keeps the frames.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 (make test)"))
struct CVATCommandTests {
    let s3 = TestS3.current!
    let dir = TemporaryDirectory("dsv-cvat")

    init() throws {
        #expect(try dsv(["init"], in: dir.path).status == 0)
    }

    /// A CVAT whose tasks 12 and 13 keep their frames in a bucket of the test S3 (task 12's three
    /// jobs overlap by 2 frames), and task 14's data was uploaded to CVAT itself.
    func server(version: String = "2.80.0", options: [String] = [], organization: String? = nil) throws -> (TestCVAT, String) {
        let bucket = try s3.makeBucket("cvat")
        var standard = ["bucket": bucket, "endpoint": s3.endpoint]
        if let organization { standard["org"] = organization }
        let cvat = try TestCVAT(version: version, standard: standard, options: options)
        let client = try s3.client()
        for name in try cvat.cloudFrames() { try client.putObject(bucket: bucket, key: name, body: Array("jpeg \(name)".utf8)) }
        return (cvat, bucket)
    }

    /// The environment of a user with a personal access token; the S3 endpoint comes from the
    /// cloud storage, not from the environment.
    static let withToken = ["CVAT_ACCESS_TOKEN": TestCVAT.token, "AWS_ENDPOINT_URL_S3": ""]

    func json(_ result: ProcessResult) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
    }

    func content(_ mode: String, _ paths: [String]) throws -> String {
        let result = try runProcess("python3", [supportScript("coco_content"), mode] + paths)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test func aProjectRoundIsTheMergeOfItsCompletedJobs() throws {
        let (cvat, bucket) = try server()
        let commit = try dsv(["commit", cvat.url("/projects/3"), "-m", "round 1"], in: dir.path, environment: Self.withToken)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(commit.stdout.contains("CVAT \(cvat.url)/projects/3: 6 jobs in 3 tasks — 6 exported, 0 from the cache\n"), "\(commit.stdout)")
        #expect(commit.stdout.contains("  4 frames shared by overlapping jobs, kept once (from the job that starts first)\n"))
        #expect(commit.stdout.contains("  task 14 \"harbour batch 3\": images not pinned — its data was uploaded to CVAT itself\n"))
        #expect(commit.stdout.contains("  pinned 36 of 56 images in s3://\(bucket)/\n"), "\(commit.stdout)")
        #expect(try cvat.exports() == 6)

        // The completed annotation jobs only: not the in-progress, new or rejected ones, not the
        // ground-truth job nor the consensus replica.
        let show = try json(try dsv(["show", "--json"], in: dir.path))
        let provenance = show["cvat"] as! [String: Any]
        #expect(provenance["server"] as? String == cvat.url)
        #expect(provenance["sources"] as? [String] == ["\(cvat.url)/projects/3"])
        let jobs = provenance["jobs"] as! [[String: Any]]
        #expect(jobs.map { $0["id"] as! Int } == [40, 41, 42, 45, 46, 47])
        #expect(jobs.map { [$0["task_id"] as! Int, $0["start_frame"] as! Int, $0["stop_frame"] as! Int] }
                == [[12, 0, 9], [12, 8, 17], [12, 16, 25], [13, 20, 29], [14, 0, 9], [14, 10, 19]])
        #expect(jobs.map { "\($0["state"]!)/\($0["stage"]!)" }
                == ["completed/acceptance", "completed/acceptance", "completed/acceptance", "completed/annotation",
                    "completed/acceptance", "completed/validation"])
        let tasks = provenance["tasks"] as! [[String: Any]]
        #expect(tasks.map { $0["subset"] as! String } == ["Train", "Validation", ""])
        #expect(tasks.map { $0["images"] as? String } == ["s3://\(bucket)/", "s3://\(bucket)/", nil])
        #expect((provenance["projects"] as? [[String: Any]])?.first?["name"] as? String == "harbour ships")
        #expect(show["subsets"] as? [String: Int] == ["Train": 26, "Validation": 10, "default": 20])
        #expect(show["objects_pinned"] as? Int == 36)

        // Each subset is the merge of its jobs' exports as the server wrote them, a shared frame
        // kept from the job that starts first.
        #expect(try dsv(["checkout", "HEAD", "-o", "data/"], in: dir.path).status == 0)
        let zips = try [40, 41, 42, 45, 46, 47].map { job in dir.write("server/job\(job).zip", try cvat.exportZip(job: job)) }
        for (file, jobZips) in [("instances_Train.json", Array(zips[0...2])), ("instances_Validation.json", [zips[3]]),
                                ("instances_default.json", Array(zips[4...5]))] {
            #expect(try content("file", [dir.file("data/annotations/\(file)")]) == content("merge", jobZips), "\(file)")
        }
        let log = try dsv(["log"], in: dir.path).stdout
        #expect(log.contains("    from CVAT \(cvat.url)/projects/3 (6 jobs)\n"))
        let human = try dsv(["show"], in: dir.path).stdout
        #expect(human.contains("from CVAT \(cvat.url) (2.80.0): \(cvat.url)/projects/3\n"))
        #expect(human.contains("    job 41  frames 8–17  completed, acceptance  updated "))
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }

    @Test func theNextRoundExportsOnlyTheJobsThatChanged() throws {
        let (cvat, _) = try server()
        #expect(try dsv(["commit", cvat.url("/projects/3"), "-m", "round 1"], in: dir.path, environment: Self.withToken).status == 0)
        // Unchanged: nothing exported, nothing committed.
        try cvat.resetStats()
        let again = try dsv(["commit", cvat.url("/projects/3"), "-m", "again"], in: dir.path, environment: Self.withToken)
        #expect(again.stdout.contains("0 exported, 6 from the cache") && again.stdout.contains("nothing changed"), "\(again.stdout)")
        #expect(try cvat.exports() == 0)

        // Two jobs change in CVAT: a box moves in job 41, a shape is added in job 46.
        try cvat.edit(job: 41, "move", frames: [12])
        try cvat.edit(job: 46, "add", frames: [3])
        try cvat.resetStats()
        let status = try dsv(["status", cvat.url("/projects/3"), "--json"], in: dir.path, environment: Self.withToken)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(try cvat.exports() == 2, "status exports the two changed jobs")
        let round2 = try dsv(["commit", cvat.url("/projects/3"), "-m", "round 2"], in: dir.path, environment: Self.withToken)
        #expect(round2.status == 0, "\(round2.stderr)")
        #expect(round2.stdout.contains("6 jobs in 3 tasks — 0 exported, 6 from the cache"), "the status's exports were kept: \(round2.stdout)")
        #expect(try cvat.exports() == 2, "two export requests in all")

        let diff = try json(try dsv(["diff", "--json"], in: dir.path))
        for document in [diff, try json(status)] {
            let images = document["images"] as! [[String: Any]]
            #expect(images.map { $0["key"] as! String } == ["batch_01/frame_000012.jpg", "upload_03_000003.png"])
            let changes = images.map { $0["annotations"] as! [String: [Any]] }
            #expect(changes.map { [$0["added"]!.count, $0["removed"]!.count, $0["modified"]!.count, $0["relabeled"]!.count] }
                    == [[0, 0, 1, 0], [1, 0, 0, 0]])
        }
        // The jobs' older exports are gone from the cache: one per job.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file(".dsv/cvat-exports")).count == 6)
    }

    /// A CVAT of 2.10: the legacy export flow, a login with a password (from PASS), and no word
    /// on where a task's data is.
    @Test func anOlderServerWithALogin() throws {
        let (cvat, bucket) = try server(version: "2.10.3")
        let commit = try dsv(["commit", cvat.url("/tasks/12"), "--auth", TestCVAT.user, "-m", "legacy"], in: dir.path,
                             environment: ["PASS": TestCVAT.password])
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(commit.stdout.contains("3 jobs in 1 task — 3 exported"), "\(commit.stdout)")
        #expect(commit.stdout.contains("images not pinned — CVAT 2.10.3 does not say where its data is (from 2.44 it does); give --images to pin"))
        let routes = try cvat.stats()["by_route"] as! [String: Int]
        #expect(routes["GET /api/jobs/{id}/annotations"] ?? 0 >= 9, "202, 201, download per job: \(routes)")
        #expect(routes["POST /api/jobs/{id}/dataset/export"] == nil && routes["POST /api/auth/login"] == 1)

        // --images pins them instead.
        try cvat.edit(job: 40, "add", frames: [2])
        let pinned = try dsv(["commit", cvat.url("/tasks/12"), "--auth", "\(TestCVAT.user):\(TestCVAT.password)", "--images", "s3://\(bucket)/",
                              "-m", "pinned"], in: dir.path)
        #expect(pinned.status == 0, "\(pinned.stderr)")
        #expect(pinned.stdout.contains("pinned 26 of 26 images in s3://\(bucket)/"), "\(pinned.stdout)")
        #expect(try json(try dsv(["show", "--json"], in: dir.path))["cvat"].flatMap { ($0 as? [String: Any])?["server_version"] as? String } == "2.10.3")
    }

    /// A server with no login endpoint takes the password as Basic; an organization's project is
    /// found with ?org= or --org, and named as missing without.
    @Test func basicAuthAndOrganizations() throws {
        let (cvat, _) = try server(options: ["--no-login"], organization: "acme")
        let withoutOrg = try dsv(["commit", cvat.url("/projects/3"), "--auth", "\(TestCVAT.user):\(TestCVAT.password)", "-m", "x"], in: dir.path)
        #expect(withoutOrg.status == 65 && withoutOrg.stderr.contains("has no project 3 (404)") && withoutOrg.stderr.contains("--org"),
                "\(withoutOrg.stderr)")
        let withQuery = try dsv(["status", cvat.url("/projects/3?org=acme"), "--auth", "\(TestCVAT.user):\(TestCVAT.password)"], in: dir.path)
        #expect(withQuery.status == 0, "\(withQuery.stderr)")
        let anonymous = try dsv(["commit", cvat.url("/projects/3"), "--org", "acme", "-m", "x"], in: dir.path)
        #expect(anonymous.status == 77 && anonymous.stderr.contains("Authentication credentials were not provided")
                && anonymous.stderr.contains("CVAT_ACCESS_TOKEN"), "no credentials at all: \(anonymous.stderr)")
        let accepted = try dsv(["commit", cvat.url("/projects/3"), "--org", "acme", "--stage", "acceptance", "--auth", TestCVAT.user, "-m", "accepted"],
                               in: dir.path, environment: ["PASS": TestCVAT.password])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("4 jobs in 2 tasks"), "jobs 40–42 and 46, in acceptance: \(accepted.stdout)")
        let routes = try cvat.stats()["by_route"] as! [String: Int]
        #expect(routes["POST /api/auth/login"] ?? 0 > 0, "it tried a login first")
    }

    /// A URL and files in one commit: a job's export someone downloaded by hand joins the round.
    @Test func aURLAndAFileTogether() throws {
        let (cvat, _) = try server()
        dir.write("extra.json", #"{"images":[{"id":1,"file_name":"extra/frame_1.jpg","width":1920,"height":1080}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,2,3,4]}],"categories":[{"id":1,"name":"ship"}]}"#)
        try makeZip(dir.file("extra_job.zip"), ["annotations/instances_Test.json=\(dir.file("extra.json"))"])
        let commit = try dsv(["commit", cvat.url("/tasks/13"), "extra_job.zip", "--allow-missing", "-m", "mixed"], in: dir.path,
                             environment: Self.withToken)
        #expect(commit.status == 0, "\(commit.stderr)")
        let show = try json(try dsv(["show", "--json"], in: dir.path))
        #expect(show["subsets"] as? [String: Int] == ["Test": 1, "Validation": 10])
        #expect((show["sources"] as? [[String: Any]])?.map { $0["name"] as! String }
                == ["extra_job.zip/annotations/instances_Test.json", "job-45.zip/annotations/instances_default.json"])
    }

    /// `--auth USER` without PASS asks for the password on a terminal, without echo.
    @Test func thePasswordIsAskedOnATerminal() throws {
        let (cvat, _) = try server()
        let command = "\(dsvBinary) status \(cvat.url("/tasks/13")) --auth \(TestCVAT.user) --stat"
        let result = try runProcess("sh", ["-c", "(sleep 1; printf '%s\\n' \"$PASSWORD\") | script -qec \"$COMMAND\" /dev/null"],
                                    in: dir.path, environment: ["PASSWORD": TestCVAT.password, "COMMAND": command])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Password for \(TestCVAT.user) at \(cvat.url): "))
        #expect(result.stdout.contains("added") && !result.stdout.contains(TestCVAT.password), "no echo: \(result.stdout)")
    }

    /// Tokens and passwords never reach the output, the repository or its caches.
    @Test func secretsStayOutOfEveryOutputAndTheRepository() throws {
        let (cvat, _) = try server()
        var outputs = ""
        for (arguments, environment) in [
            (["commit", cvat.url("/projects/3"), "-m", "r1"], Self.withToken),
            (["commit", "http://\(TestCVAT.user):\(TestCVAT.password)@127.0.0.1:\(cvat.port)/tasks/12", "-m", "r2"], ["AWS_ENDPOINT_URL_S3": ""]),
            (["status", cvat.url("/projects/3"), "--auth", "\(TestCVAT.user):wrong-\(TestCVAT.password)"], [:]),
            (["status", cvat.url("/projects/3")], ["CVAT_ACCESS_TOKEN": "bad-\(TestCVAT.token)"]),
        ] {
            let result = try dsv(arguments, in: dir.path, environment: environment)
            outputs += result.stdout + result.stderr
        }
        #expect(outputs.contains("refused the request"), "the bad credentials were refused")
        for secret in [TestCVAT.token, TestCVAT.password] {
            #expect(!outputs.contains(secret), "\(secret) printed")
            let grep = try runProcess("grep", ["-r", "-l", "-a", secret, dir.file(".dsv")])
            #expect(grep.stdout.isEmpty, "\(secret) stored in \(grep.stdout)")
            // Every object, decompressed by git.
            let objects = try runProcess("sh", ["-c", "git --git-dir=\(dir.file(".dsv")) cat-file --batch-all-objects --batch | grep -c -a -- \(secret) || true"])
            #expect(objects.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
        let show = try json(try dsv(["show", "--json"], in: dir.path))
        let provenance = show["cvat"] as! [String: Any]
        #expect(provenance["server"] as? String == cvat.url && provenance["sources"] as? [String] == ["\(cvat.url)/tasks/12"],
                "the server and URL without credentials: \(provenance)")
    }
}
