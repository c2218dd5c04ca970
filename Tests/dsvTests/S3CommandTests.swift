import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// Commands that talk to S3, as a user runs them against the test server.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 server (make test)"))
struct S3CommandTests {
    let s3 = TestS3.current!
    static let export = #"{"images":[{"id":1,"file_name":"a/1.jpg"},{"id":2,"file_name":"a/2.jpg"}],"annotations":[]}"#

    func project() throws -> (TemporaryDirectory, String) {
        let bucket = try s3.makeBucket("cli")
        let client = try s3.client()
        for key in ["p/a/1.jpg", "p/a/2.jpg"] { try client.putObject(bucket: bucket, key: key, body: Array(key.utf8)) }
        let dir = TemporaryDirectory("dsv-s3")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("e.json", Self.export)
        return (dir, bucket)
    }

    /// Credentials and endpoint from AWS_PROFILE and the shared files, none from the environment.
    @Test func profilesFromTheSharedFiles() throws {
        let (dir, bucket) = try project()
        dir.write("aws/credentials", "[lab]\naws_access_key_id = \(s3.accessKey)\naws_secret_access_key = \(s3.secretKey)\n")
        dir.write("aws/config", "[profile lab]\nregion = \(s3.region)\nendpoint_url = \(s3.endpoint)\ns3 =\n  addressing_style = path\n")
        let environment = ["AWS_PROFILE": "lab", "AWS_SHARED_CREDENTIALS_FILE": dir.file("aws/credentials"),
                           "AWS_CONFIG_FILE": dir.file("aws/config"), "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "",
                           "AWS_ENDPOINT_URL_S3": "", "AWS_ENDPOINT_URL": ""]
        let commit = try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path, environment: environment)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(commit.stdout.contains("pinned 2 of 2 images"))
        let verify = try dsv(["verify", "--json"], in: dir.path, environment: environment)
        #expect(verify.status == 0, "\(verify.stderr)")
        // `--profile` instead of AWS_PROFILE; its keys win over (wrong) ones in the environment.
        var explicit = environment
        explicit["AWS_PROFILE"] = "none"
        explicit["AWS_ACCESS_KEY_ID"] = s3.accessKey
        explicit["AWS_SECRET_ACCESS_KEY"] = "wrong-secret"
        let withProfile = try dsv(["verify", "--profile", "lab"], in: dir.path, environment: explicit)
        #expect(withProfile.status == 0, "\(withProfile.stderr)")
    }

    @Test func wrongCredentialsAreOneLineWithS3sCode() throws {
        let (dir, bucket) = try project()
        let result = try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path,
                             environment: ["AWS_SECRET_ACCESS_KEY": "wrong-secret"])
        #expect(result.status == 69)
        #expect(result.stderr.hasPrefix("dsv: error: GET s3://\(bucket)/?versioning: S3 answered 403 SignatureDoesNotMatch"), "\(result.stderr)")
        #expect(result.stderr.contains("SignatureDoesNotMatch"))
        #expect(!result.stderr.contains("wrong-secret"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let missing = try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path,
                              environment: ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "none",
                                            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no credentials"))
    }

    /// A dead endpoint: retried with backoff, then exit 69 within a bounded time, nothing committed.
    @Test func deadServerIsExit69() throws {
        let (dir, bucket) = try project()
        let start = Date()
        let result = try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path,
                             environment: ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"])
        #expect(result.status == 69)
        // One line that names the request once, and where it went.
        #expect(result.stderr.hasPrefix("dsv: error: GET s3://\(bucket)/?versioning: S3 unavailable: Couldn't connect to server at http://127.0.0.1:1 (after ")
                && result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(try dsv(["log"], in: dir.path).status == 2, "no version was made")
    }

    /// The server dies in the middle of the listing: exit 69 within a bounded time, nothing
    /// committed; the same command against a healthy server then succeeds.
    @Test func serverDyingMidRunIsExit69ThenARerunWorks() throws {
        let (dir, bucket) = try project()
        let client = try s3.client()
        for i in 0..<30 { try client.putObject(bucket: bucket, key: "p/f\(i)/x.jpg", body: [UInt8(i)]) }
        let proxy = try FaultProxy(upstream: s3.endpoint, slowDown: 0, drop: 0, dieAfter: 5)
        let start = Date()
        let dying = try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path,
                            environment: ["AWS_ENDPOINT_URL_S3": proxy.endpoint])
        #expect(dying.status == 69, "\(dying.stderr)")
        #expect(dying.stderr.hasPrefix("dsv: error: list s3://\(bucket)/p/"), "what was being listed: \(dying.stderr)")
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(try dsv(["log"], in: dir.path).status == 2, "no version was made")
        let healthy = try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path)
        #expect(healthy.status == 0, "\(healthy.stderr)")
    }

    @Test func missingObjectsExit65() throws {
        let (dir, bucket) = try project()
        dir.write("e.json", Self.export.replacingOccurrences(of: "a/2.jpg", with: "a/gone.jpg"))
        let result = try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path)
        #expect(result.status == 65)
        #expect(result.stderr.contains("1 image missing under s3://\(bucket)/p/: p/a/gone.jpg"))
    }

    /// Status against a pinned version changes only what the labels change: the images it does
    /// not touch keep their pins, so they are unchanged, and no S3 object is said to have changed.
    @Test func statusAgainstAPinnedVersion() throws {
        let (dir, bucket) = try project()
        #expect(try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path).status == 0)
        dir.write("next.json", #"{"images":[{"id":1,"file_name":"a/1.jpg","width":640},{"id":2,"file_name":"a/2.jpg"}],"annotations":[]}"#)
        let status = try dsv(["status", "next.json", "--json"], in: dir.path)
        #expect(status.status == 0, "\(status.stderr)")
        let summary = (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any])["summary"] as! [String: Any]
        #expect(summary["images"] as? [String: Int] == ["added": 0, "removed": 0, "modified": 1, "unchanged": 1])
        #expect(summary["objects"] as? [String: Int] == ["changed": 0])
    }
}
