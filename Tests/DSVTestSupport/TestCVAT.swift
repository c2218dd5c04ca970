import Foundation

/// A CVAT of the test suite's own (`Tests/Support/cvat_server.py`), started on a free loopback
/// port for one test and stopped when the value is dropped. Its `/_test/` controls set faults,
/// edit jobs and count the requests it served.
public final class TestCVAT: @unchecked Sendable {
    public static let token = "pat-alice-0123456789abcdef"
    public static let user = "alice"
    public static let password = "alice-password-1"

    public let url: String
    public let port: Int
    public let version: String
    private let process: Process
    private let arguments: [String]
    /// Holds the port file.
    private let directory: TemporaryDirectory

    /// - Parameters:
    ///   - standard: parameters of the server's standard scenario (bucket, endpoint, tasks, …).
    ///   - port: a port to listen on (a restarted server keeps its URL); 0 for any free one.
    public init(version: String = "2.80.0", standard: [String: String] = [:], options: [String] = [], port: Int = 0) throws {
        let directory = TemporaryDirectory("dsv-cvat")
        let portFile = directory.file("port")
        var arguments = [supportScript("cvat_server"), "--version", version, "--port-file", portFile,
                         "--queue-delay", "0.05", "--export-delay", "0.05"] + options
        if !standard.isEmpty {
            arguments += ["--standard", standard.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
        }
        self.arguments = arguments
        self.version = version
        self.directory = directory
        (process, self.port) = try Self.start(arguments + ["--port", String(port)], portFile: portFile)
        url = "http://127.0.0.1:\(self.port)"
    }

    private static func start(_ arguments: [String], portFile: String) throws -> (Process, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) { return (process, port) }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop(process)
        throw CVATServerError(message: "the test CVAT server did not start")
    }

    deinit { Self.stop(process) }

    /// Stops a server as a crash would (SIGKILL: nothing of it can linger), and reaps it.
    private static func stop(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Whether the server is still running (it dies on a `die_after` fault).
    public var isRunning: Bool { process.isRunning }

    /// A URL of the server: `/projects/3`, `/tasks/12/jobs/40`.
    public func url(_ path: String) -> String { url + path }

    @discardableResult
    public func control(_ path: String, _ body: [String: Any] = [:]) throws -> Data {
        try fetch(path, body: String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
    }

    public func stats() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: fetch("stats")) as! [String: Any]
    }

    /// Export initiations the server saw (a `POST …/dataset/export` answered 202, or a legacy
    /// export started).
    public func exports() throws -> Int { try stats()["exports"] as! Int }

    public func resetStats() throws { try control("reset-stats") }

    /// The frame names of the tasks whose data is in the cloud storage.
    public func cloudFrames() throws -> [String] {
        try JSONSerialization.jsonObject(with: fetch("frames")) as! [String]
    }

    /// The export zip CVAT would write for a job now.
    public func exportZip(job: Int) throws -> Data { try fetch("jobs/\(job)/export", body: "{}") }

    /// Changes a job's shapes as an annotator would (add, move, relabel, remove), bumping its
    /// updated_date.
    public func edit(job: Int, _ operation: String, frames: [Int]) throws {
        try control("jobs/\(job)/edit", ["op": operation, "frames": frames])
    }

    public func setFaults(_ faults: [String: Any]) throws { try control("faults", faults) }

    /// Stops the server as a crash would, and starts it again on the same port with the same
    /// scenario (what it served before — exports, edits — is gone, as after a restart).
    public func restart() throws -> TestCVAT {
        Self.stop(process)
        return try TestCVAT(version: version, arguments: arguments, port: port, directory: directory)
    }

    private init(version: String, arguments: [String], port: Int, directory: TemporaryDirectory) throws {
        self.directory = directory
        let portFile = arguments[arguments.firstIndex(of: "--port-file")! + 1]
        try? FileManager.default.removeItem(atPath: portFile)
        self.arguments = arguments
        self.version = version
        var started: (Process, Int)?
        for _ in 0..<50 where started == nil {
            started = try? Self.start(arguments + ["--port", String(port)], portFile: portFile)
            if started == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        guard let started else { throw CVATServerError(message: "the test CVAT server did not restart") }
        (process, self.port) = started
        url = "http://127.0.0.1:\(self.port)"
    }

    /// A `/_test/` control: POST with a body, GET without. Through curl, so that the answer's
    /// bytes (a zip) arrive as they are.
    private func fetch(_ path: String, body: String? = nil) throws -> Data {
        let out = TemporaryDirectory("dsv-cvat-fetch")
        let file = out.file("body")
        var arguments = ["-sf", "-o", file, "\(url)/_test/\(path)"]
        if let body { arguments += ["-X", "POST", "--data-binary", body] }
        let result = try runProcess("curl", arguments)
        guard result.status == 0, let data = FileManager.default.contents(atPath: file) else {
            throw CVATServerError(message: "/_test/\(path): curl exit \(result.status)")
        }
        return data
    }
}

public struct CVATServerError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
