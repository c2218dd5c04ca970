import DSVNative
import Foundation

extension Benchmarks {
    /// A round straight from CVAT (SPEC §9): a project of 50 completed jobs × 2,000 frames on the
    /// suite's CVAT server, whose exports take a second and a half each there (queued 0.5 s,
    /// exported 1 s). The first commit beside a cvat-sdk script that exports the jobs one after
    /// another and commits the zips; then the next round with 2 jobs changed, beside the same
    /// script (which cannot know what changed).
    func cvatRows(_ table: inout BenchTable, work: String, dsv: String) throws {
        let jobCount = 50, frames = 2_000
        let root = "\(work)/cvat"
        try freshFolder(root)
        let portFile = "\(root)/port"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", supportScript("cvat_server.py"), "--version", "2.80.0", "--port-file", portFile,
                            "--queue-delay", "0.5", "--export-delay", "1.0",
                            "--standard", "tasks=5,jobs_per_task=10,frames_per_job=\(frames),overlap=0,completed=1,cloud=0"]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        var port: String?
        for _ in 0..<600 where port == nil {
            port = try? String(contentsOfFile: portFile, encoding: .utf8)
            if port == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        guard let port else { print("  (the test CVAT server did not start: the CVAT rows are skipped)"); return }
        let url = "http://127.0.0.1:\(port)"
        let token = "pat-alice-0123456789abcdef"
        print("a CVAT project of \(jobCount) completed jobs × \(frames) frames at \(url)")

        // The baseline: cvat-sdk, one job after another, then dsv commit of the zips.
        try freshFolder("\(root)/sdk")
        _ = ChildProcess.run([dsv, "init"], directory: "\(root)/sdk")
        let sdkOutput = (try? ChildProcess.output(["python3", scriptPath("cvat-sdk-round.py"), url, token, "3", "\(root)/sdk", dsv, "0.5"])) ?? []
        let sdkParts = String(decoding: sdkOutput, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        let sdkSeconds = sdkParts.count == 2 ? Double(sdkParts[1]) ?? 0 : 0
        let sdkJobs = sdkParts.first.flatMap { Int($0) } ?? 0

        // Ours: the first round, then two jobs change and the next one.
        let repo = "\(root)/dsv"
        try freshFolder(repo)
        _ = ChildProcess.run([dsv, "init"], directory: repo)
        setenv("CVAT_ACCESS_TOKEN", token, 1)
        defer { unsetenv("CVAT_ACCESS_TOKEN") }
        _ = control(url, "reset-stats")
        let first = ChildProcess.run([dsv, "commit", "\(url)/projects/3", "-m", "round 1"], directory: repo)
        let firstExports = exports(url)
        _ = control(url, "jobs/47/edit", #"{"op": "move", "frames": [\#(7 * frames + 12)]}"#)
        _ = control(url, "jobs/83/edit", #"{"op": "add", "frames": [\#(3 * frames + 5)]}"#)
        _ = control(url, "reset-stats")
        let next = ChildProcess.run([dsv, "commit", "\(url)/projects/3", "-m", "round 2"], directory: repo)
        let nextExports = exports(url)
        let diff = String(decoding: (try? ChildProcess.output([dsv, "-C", repo, "diff", "--stat"])) ?? [], as: UTF8.self)
        let changed = diff.contains("images           0        0         2")

        let sdk = sdkSeconds > 0 && sdkJobs == jobCount ? seconds(sdkSeconds) : "failed"
        table.add("commit from CVAT (\(jobCount) jobs × \(frames) frames)",
                  ours: seconds(first.seconds) + " (\(firstExports) exports)", baseline: sdk,
                  baselineName: "cvat-sdk jobs one by one + dsv commit", ratio: ratio(sdkSeconds, first.seconds) + " faster",
                  target: "< 1× the cvat-sdk script", met: first.status == 0 && firstExports == jobCount && first.seconds < sdkSeconds)
        table.add("next round from CVAT (2 jobs changed)", ours: seconds(next.seconds) + " (\(nextExports) exports)",
                  baseline: sdk + " (\(sdkJobs) exports)", baselineName: "the same cvat-sdk script",
                  ratio: ratio(sdkSeconds, next.seconds) + " faster", target: "2 export requests",
                  met: next.status == 0 && nextExports == 2 && changed)
    }

    /// A `/_test/` control of the suite's CVAT server (POST with a body, GET without).
    func control(_ url: String, _ path: String, _ body: String? = nil) -> [UInt8] {
        let arguments = ["curl", "-sf", "\(url)/_test/\(path)"] + (body.map { ["-X", "POST", "--data-binary", $0] } ?? ["-X", "POST", "-d", "{}"])
        return (try? ChildProcess.output(arguments)) ?? []
    }

    /// The exports the server started since its counters were reset.
    func exports(_ url: String) -> Int {
        let stats = (try? JSONSerialization.jsonObject(with: Data(try ChildProcess.output(["curl", "-sf", "\(url)/_test/stats"])))) as? [String: Any]
        return stats?["exports"] as? Int ?? -1
    }
}
