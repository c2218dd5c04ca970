import DSVTestSupport
import Foundation
import Testing

/// The suite's CVAT is checked by a client that is not ours: CVAT's own SDK (cvat-sdk 2.80 from
/// PyPI, which `make deps` installs) lists its jobs, exports one through its request flow, reads
/// data/meta and logs in — and sees what dsv sees.
@Suite struct CVATServerTests {
    @Test func cvatsOwnSDKAgreesWithTheServerAndWithDsv() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none"])
        let dir = TemporaryDirectory("dsv-cvat-sdk")
        let sdk = try runProcess("python3", [supportScript("cvat_sdk_check"), cvat.url, TestCVAT.token, TestCVAT.user,
                                             TestCVAT.password, "41", dir.path])
        try #require(sdk.status == 0, "cvat-sdk against the test server: \(sdk.stderr.suffix(2000))")
        let seen = try JSONSerialization.jsonObject(with: Data(sdk.stdout.utf8)) as! [String: Any]
        #expect(seen["server_version"] as? String == "2.80.0")
        #expect(seen["jobs"] as? [Int] == [40, 41, 42, 43, 44, 45, 46, 47, 48, 90, 91], "every job, across pages of 10")
        #expect(seen["projects"] as? [String] == ["harbour ships"], "by a password login too")
        let export = seen["export"] as! [String: Any]
        #expect(export["entries"] as? [String] == ["annotations/instances_default.json"])
        #expect(export["images"] as? Int == 10, "every frame of the job, annotated or not")
        #expect(seen["job_frames"] as? [String] == (8...17).map { String(format: "batch_01/frame_%06d.jpg", $0) })
        let task = seen["task"] as! [String: Any]
        #expect(task["subset"] as? String == "Train" && task["overlap"] as? Int == 2 && task["size"] as? Int == 26)

        // What the SDK exported is what dsv takes: the same completed annotation jobs, the same zip.
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let status = try dsv(["status", cvat.url("/projects/3")], in: dir.path, environment: ["CVAT_ACCESS_TOKEN": TestCVAT.token])
        #expect(status.status == 0, "\(status.stderr)")
        let cached = try FileManager.default.contentsOfDirectory(atPath: dir.file(".dsv/cvat-exports"))
        let ours = try #require(cached.first { $0.contains("-job41-") })
        let theirs = try runProcess("python3", [supportScript("coco_content"), "merge", export["zip"] as! String])
        let mine = try runProcess("python3", [supportScript("coco_content"), "merge", dir.file(".dsv/cvat-exports/\(ours)")])
        #expect(theirs.stdout == mine.stdout && !mine.stdout.isEmpty)
        let completed = seen["completed_annotation_jobs"] as! [Int]
        #expect(Set(cached.compactMap { name in name.split(separator: "-").first { $0.hasPrefix("job") }.flatMap { Int($0.dropFirst(3)) } })
                == Set(completed))
    }
}
