import DSVTestSupport
import Foundation
import Testing

/// The image cache grows with every version materialized; `gc --prune-cache` keeps what the
/// newest versions and the tagged ones pin, and says what it freed.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 (make test)"))
struct CachePruneTests {
    let s3 = TestS3.current!

    @Test func pruneKeepsTheNewestAndTheTaggedVersions() throws {
        let dir = TemporaryDirectory("dsv-prune")
        let bucket = try s3.makeBucket("prune")
        let client = try s3.client()
        for name in ["a", "b", "c", "d"] { try client.putObject(bucket: bucket, key: "p/\(name).jpg", body: Array(repeating: 7, count: 1000)) }
        func export(_ names: [String]) -> String {
            #"{"images":[\#(names.enumerated().map { #"{"id":\#($0.offset + 1),"file_name":"\#($0.element).jpg"}"# }.joined(separator: ","))],"annotations":[],"categories":[]}"#
        }
        dir.write("r1.json", export(["a", "b", "c"]))
        dir.write("r2.json", export(["b", "c", "d"]))
        #expect(try dsv(["init"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r1.json", "--images", "s3://\(bucket)/p/", "-m", "r1"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path).status == 0)
        for revision in ["HEAD~1", "HEAD"] {
            #expect(try dsv(["materialize", revision, "--out", "out-\(revision)", "--cache", "cache"], in: dir.path).status == 0)
        }
        func entries() throws -> Int {
            try FileManager.default.subpathsOfDirectory(atPath: dir.file("cache/objects")).filter { $0.count > 3 }.count
        }
        #expect(try entries() == 4)

        let prune = try dsv(["gc", "--prune-cache", "--keep", "1", "--cache", "cache"], in: dir.path)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("image cache: removed 1 object (1.0 KB freed); kept 3"), "\(prune.stdout)")
        #expect(try entries() == 3)
        // r2's images come from the cache still; r1's lost one is downloaded again.
        let again = try dsv(["materialize", "HEAD~1", "--out", "again", "--cache", "cache", "--json"], in: dir.path)
        let report = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any]
        #expect(report["downloaded"] as? Int == 1 && report["from_cache"] as? Int == 2, "\(report)")

        // A tagged version keeps its images whatever --keep says.
        #expect(try dsv(["tag", "r1", "HEAD~1"], in: dir.path).status == 0)
        let tagged = try dsv(["gc", "--prune-cache", "--keep", "1", "--cache", "cache", "--json"], in: dir.path)
        let cache = (try JSONSerialization.jsonObject(with: Data(tagged.stdout.utf8)) as! [String: Any])["cache"] as! [String: Int]
        #expect(cache["objects_removed"] == 0 && cache["objects_kept"] == 4 && cache["versions_kept"] == 2, "\(cache)")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }
}
