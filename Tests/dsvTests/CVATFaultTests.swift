import DSVTestSupport
import Foundation
import Glibc
import Testing

/// What goes wrong in a round taken from CVAT: each fault is one line with its exit code (SPEC
/// §8), nothing committed, the repository untouched, and the exports that did arrive kept for
/// the rerun.
@Suite struct CVATFaultTests {
    let dir = TemporaryDirectory("dsv-cvat-faults")

    init() throws {
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("first.json", #"{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[],"categories":[]}"#)
        #expect(try dsv(["commit", "first.json", "-m", "first"], in: dir.path).status == 0)
    }

    /// Token auth; the tasks' cloud storage is not reachable and not asked for (--images is given
    /// and no test here pins).
    static let environment = ["CVAT_ACCESS_TOKEN": TestCVAT.token]

    func head() throws -> String { try dsv(["log", "--json"], in: dir.path).stdout }

    func cached() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.file(".dsv/cvat-exports"))) ?? []).sorted()
    }

    /// Runs dsv, expecting `status` and one error line containing `message`, with HEAD unchanged.
    @discardableResult
    func expectFailure(_ arguments: [String], status: Int32, _ message: String, environment: [String: String] = environment,
                       sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let before = try head()
        let result = try dsv(arguments, in: dir.path, environment: environment)
        #expect(result.status == status, "\(result.stderr)", sourceLocation: sourceLocation)
        // Every error is one line, a usage error too.
        let lines = result.stderr.split(separator: "\n")
        #expect(result.stderr.hasPrefix("dsv: error: ") && lines.count == 1 && lines.first?.contains(message) == true,
                "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(try head() == before, "nothing committed", sourceLocation: sourceLocation)
        return result
    }

    @Test func badURLsMissingJobsAndNoJobs() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none"])
        try expectFailure(["commit", cvat.url("/models/3"), "-m", "x"], status: 2, "is not a CVAT project, task or job URL")
        try expectFailure(["commit", cvat.url("/tasks/12/jobs"), "-m", "x"], status: 2, "is not a CVAT project, task or job URL")
        try expectFailure(["commit", cvat.url("/jobs/999"), "-m", "x"], status: 65, "has no job 999 (404)")
        try expectFailure(["commit", cvat.url("/projects/7"), "-m", "x"], status: 65, "has no project 7 (404)")
        try expectFailure(["commit", cvat.url("/tasks/13/jobs/40"), "-m", "x"], status: 65, "has no job 40 in task 13")
        try expectFailure(["commit", cvat.url("/tasks/13"), "--stage", "validation", "-m", "x"], status: 65,
                          "task 13 \"harbour batch 2\" has no completed annotation job in stage validation")
        try expectFailure(["commit", cvat.url("/projects/3"), "--state", "done", "-m", "x"], status: 2, "--state done")
        let commit = try expectFailure(["commit", "http://127.0.0.1:1/projects/3", "-m", "x"], status: 69,
                                       "CVAT unavailable: GET /api/server/about: Couldn't connect to server at http://127.0.0.1:1 (after ")
        // Its first request failed: no export began, so none is said to be kept.
        #expect(commit.stderr.hasSuffix(" attempts); nothing committed\n"), "\(commit.stderr)")
        // A status commits nothing either way: it does not say so.
        let status = try expectFailure(["status", "http://127.0.0.1:1/projects/3"], status: 69, "CVAT unavailable: GET /api/server/about")
        #expect(status.stderr.hasSuffix(" attempts)\n"), "\(status.stderr)")
        #expect(try cvat.exports() == 0)
    }

    @Test func refusedCredentialsAreExit77() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none"])
        try expectFailure(["status", cvat.url("/projects/3")], status: 77, "refused the request (401: Invalid token.)",
                          environment: ["CVAT_ACCESS_TOKEN": "not-a-token"])
        try expectFailure(["status", cvat.url("/projects/3"), "--auth", "alice:wrong"], status: 77,
                          "refused the request (400: Unable to log in with provided credentials.)")
        try expectFailure(["status", cvat.url("/projects/3")], status: 77, "set CVAT_ACCESS_TOKEN", environment: [:])
        // No password and no terminal to ask on.
        try expectFailure(["status", cvat.url("/projects/3"), "--auth", "alice"], status: 2, "no password for alice", environment: [:])
    }

    @Test func anExportCVATReportsFailedIsExit69AndKeepsTheOthers() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none"])
        try cvat.setFaults(["fail": ["41": "OSError: [Errno 28] No space left on device"]])
        try expectFailure(["commit", cvat.url("/tasks/12"), "--images", "s3://none/", "-j", "1", "-m", "x"], status: 69,
                          "CVAT could not export job 41: OSError: [Errno 28] No space left on device; nothing committed, the export that finished is kept for the next run")
        #expect(cached().count == 1, "job 40's export, finished before 41 failed, is kept: \(cached())")
        #expect(!cached().contains { $0.hasPrefix(".") }, "no partial file")
    }

    @Test func aZipThatIsNotACOCOExport() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none"])
        try cvat.setFaults(["not_coco": [42]])
        try expectFailure(["commit", cvat.url("/tasks/12"), "--images", "s3://none/", "-j", "1", "-m", "x"], status: 65,
                          "the export of job 42 is not a COCO export zip: no annotations/*.json inside")
        #expect(cached().count == 2 && !cached().contains { $0.contains("job42") }, "\(cached())")
    }

    @Test func anExportThatNeverFinishesTimesOut() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none"])
        try cvat.setFaults(["never_finish": [46]])
        let started = Date()
        try expectFailure(["commit", cvat.url("/projects/3"), "--images", "s3://none/", "--timeout", "2s", "-m", "x"], status: 69,
                          "the export of job 46 did not finish within 2 s (--timeout); nothing committed, the 5 exports that finished are kept for the next run")
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(cached().count == 5, "every other export arrived and is kept: \(cached())")
    }

    /// A 409 (an earlier run's export still running) is followed to its end; a result that
    /// expired is requested again, once; 503s are retried.
    @Test func conflictsExpiredResultsAndBusyServersAreOvercome() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none"])
        try cvat.setFaults(["conflict": [40, 46], "expire": [41], "unavailable": 4])
        let result = try dsv(["status", cvat.url("/projects/3"), "--json"], in: dir.path, environment: Self.environment)
        #expect(result.status == 0, "\(result.stderr)")
        let summary = (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["summary"] as? [String: Any]
        #expect((summary?["images"] as? [String: Int])?["added"] == 56, "every job's export read: \(result.stdout.prefix(300))")
        #expect(cached().count == 6, "\(cached())")
        let stats = try cvat.stats()
        let routes = stats["by_route"] as! [String: Int]
        #expect(stats["exports"] as? Int == 5, "jobs 40 and 46 were already running; 41 was requested twice: \(stats)")
        #expect(routes["GET /api/requests"] == 2, "the running exports were found: \(routes)")
        #expect(routes["GET /api/jobs/{id}/dataset/download"] == 7, "41's first download had expired: \(routes)")
    }

    /// A server that dies mid-run: exit 69, nothing committed, the exports that arrived kept;
    /// the rerun, once the server is back, exports only the others.
    @Test func aServerThatDiesMidRunAndTheRerun() throws {
        var cvat = try TestCVAT(standard: ["bucket": "none"])
        // about, project, jobs, 3 tasks, then a few export steps.
        try cvat.setFaults(["die_after": 14])
        let failed = try expectFailure(["commit", cvat.url("/projects/3"), "--images", "s3://none/", "-j", "1", "-m", "x"], status: 69,
                                       "CVAT unavailable:")
        #expect(!cvat.isRunning)
        let kept = cached()
        #expect(!kept.isEmpty && kept.count < 6 && !kept.contains { $0.hasPrefix(".") }, "\(kept)")
        let counted = kept.count == 1 ? "the export that finished is" : "the \(kept.count) exports that finished are"
        #expect(failed.stderr.hasSuffix("; nothing committed, \(counted) kept for the next run\n"), "as many as are kept: \(failed.stderr)")
        cvat = try cvat.restart()
        let rerun = try dsv(["status", cvat.url("/projects/3")], in: dir.path, environment: Self.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try cvat.exports() == 6 - kept.count)
    }

    /// kill -9 of dsv while it exports: the previous version stays HEAD, the repository passes
    /// git fsck, and only complete exports are in the cache under their names.
    @Test func aKilledRunLeavesTheRepositoryAsItWas() throws {
        let cvat = try TestCVAT(standard: ["bucket": "none", "frames_per_job": "400", "jobs_per_task": "4"])
        let before = try head()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dsvBinary)
        process.arguments = ["commit", cvat.url("/projects/3"), "--images", "s3://none/", "-j", "2", "-m", "killed"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
        process.environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<100 where cached().filter({ !$0.hasPrefix(".") }).isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(try head() == before)
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
        for name in cached() where !name.hasPrefix(".") {
            let unzip = try runProcess("python3", ["-m", "zipfile", "-t", dir.file(".dsv/cvat-exports/\(name)")])
            #expect(unzip.status == 0, "\(name) is a complete zip")
        }
        // The rerun removes the killed run's temporary files and goes on from what it kept.
        let kept = cached().filter { !$0.hasPrefix(".") }.count
        try cvat.resetStats()
        let rerun = try dsv(["status", cvat.url("/projects/3")], in: dir.path, environment: Self.environment)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(!cached().contains { $0.hasPrefix(".") }, "\(cached())")
        #expect(try cvat.exports() <= 10 - kept)
    }
}
