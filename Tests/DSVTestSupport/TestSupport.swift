import DSVStorage
import Foundation

/// A fresh temporary folder, removed when the value is dropped.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "dsv-test") {
        let base = FileManager.default.temporaryDirectory.path
        path = "\(base)/\(label)-\(UUID().uuidString.prefix(8))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `contents` to `name` (creating subfolders) and returns its path.
    @discardableResult
    public func write(_ name: String, _ contents: String) -> String {
        write(name, Data(contents.utf8))
    }

    @discardableResult
    public func write(_ name: String, _ contents: Data) -> String {
        let target = file(name)
        try! FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try! contents.write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// The result of running a program to its end.
public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs a program with arguments, optionally in a folder and with extra environment, and waits.
@discardableResult
public func runProcess(_ executable: String, _ arguments: [String], in directory: String? = nil,
                       environment: [String: String] = [:], input: Data? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe(), inPipe = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = inPipe
    try process.run()
    if let input { inPipe.fileHandleForWriting.write(input) }
    try inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so that neither fills up and blocks the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// `git fsck --strict` on a repository folder: the check a user would run.
public func gitFsck(_ gitDirectory: String) throws -> ProcessResult {
    try runProcess("git", ["--git-dir=\(gitDirectory)", "fsck", "--strict", "--no-progress"])
}

/// The test S3 server `make test` started, from its environment; nil when none was started.
public struct TestS3: Sendable {
    public let endpoint: String
    public let accessKey: String
    public let secretKey: String
    public let region: String

    public static var current: TestS3? {
        let env = ProcessInfo.processInfo.environment
        guard let endpoint = env["DSV_TEST_S3_ENDPOINT"], let access = env["AWS_ACCESS_KEY_ID"],
              let secret = env["AWS_SECRET_ACCESS_KEY"] else { return nil }
        return TestS3(endpoint: endpoint, accessKey: access, secretKey: secret, region: env["AWS_REGION"] ?? "us-east-1")
    }

    public var credentials: S3Credentials { S3Credentials(accessKeyID: accessKey, secretAccessKey: secretKey) }

    public func client(credentials: S3Credentials? = nil) throws -> S3Client {
        try S3Client(endpoint: S3Endpoint(url: endpoint), region: region, credentials: credentials ?? self.credentials)
    }

    /// A new bucket with a unique name.
    public func makeBucket(_ label: String = "t") throws -> String {
        let name = "\(label)-\(UUID().uuidString.prefix(8).lowercased())"
        try client().createBucket(name)
        return name
    }
}

/// The project's `dsv` binary as built by `swift build` (or `DSV_BINARY`).
public var dsvBinary: String {
    if let path = ProcessInfo.processInfo.environment["DSV_BINARY"] { return path }
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent(".build/debug/dsv").path
}

/// Starts dsv with `arguments` in `directory` and sends it `signal` (SIGKILL: a crash) `delay`
/// seconds later, or after it ended; returns how it ended. What it leaves is for the caller to
/// check.
@discardableResult
public func dsvKilled(_ arguments: [String], in directory: String, after delay: Double,
                     signal: Int32 = SIGKILL) throws -> (reason: Process.TerminationReason, status: Int32) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: dsvBinary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    // Started with no signal blocked, as from a shell: a test runs on a thread that blocks them,
    // and a child inherits the mask of the thread that starts it — dsv would only see SIGKILL.
    var none = sigset_t(), previous = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, &previous)
    let started = Result { try process.run() }
    pthread_sigmask(SIG_SETMASK, &previous, nil)
    try started.get()
    Thread.sleep(forTimeInterval: delay)
    kill(process.processIdentifier, signal)
    process.waitUntilExit()
    return (process.terminationReason, process.terminationStatus)
}

/// Runs `dsv` with arguments in a folder.
@discardableResult
public func dsv(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> ProcessResult {
    try runProcess(dsvBinary, arguments, in: directory, environment: environment)
}

/// A fixture file of the suite's own (`Tests/DSVDatasetTests/Fixtures/NAME`, e.g. `good/numbers.json`),
/// for tests outside the target that bundles them.
public func fixturePath(_ name: String) -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<2 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("DSVDatasetTests/Fixtures/\(name)").path
}

/// The path of a script of the test suite's own, `Tests/Support/NAME.py`.
public func supportScript(_ name: String) -> String {
    var script = URL(fileURLWithPath: #filePath)
    for _ in 0..<2 { script.deleteLastPathComponent() }
    return script.appendingPathComponent("Support/\(name).py").path
}

/// Writes a zip archive with Python's `zipfile` (`Tests/Support/make_zip.py`): an archive made
/// by another producer than dsv's reader. `entries` are `NAME=SOURCE` and the script's flags.
public func makeZip(_ path: String, _ entries: [String]) throws {
    let result = try runProcess("python3", [supportScript("make_zip"), path] + entries)
    guard result.status == 0 else { throw ZipFixtureError(message: result.stderr) }
}

public struct ZipFixtureError: Error { public let message: String }

/// A server of the test suite's own (`Tests/Support/NAME.py`) on a free loopback port, which it
/// prints first; stopped by its pid when the value goes away.
public final class SupportServer: @unchecked Sendable {
    public let port: Int
    private let process: Process

    public init(_ name: String, _ arguments: [String]) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", supportScript(name)] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        port = Int(String(decoding: line, as: UTF8.self)) ?? 0
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// The test suite's fault-injecting proxy (`Tests/Support/fault_proxy.py`) in front of the test
/// S3: a share of requests get 503 SlowDown, another share a dropped connection.
public final class FaultProxy: @unchecked Sendable {
    public let endpoint: String
    private let server: SupportServer

    /// With `dieAfter`, the proxy exits abruptly after that many requests.
    /// With `retryAfter`, its 503 answers carry that `Retry-After` (seconds).
    public init(upstream: String, slowDown: Double, drop: Double, seed: Int = 7, dieAfter: Int? = nil,
                retryAfter: Int? = nil) throws {
        let port = upstream.split(separator: ":").last.map(String.init) ?? "80"
        server = try SupportServer("fault_proxy", [port, String(slowDown), String(drop), String(seed)]
                                   + [String(dieAfter ?? 0)] + (retryAfter.map { [String($0)] } ?? []))
        endpoint = "http://127.0.0.1:\(server.port)"
    }
}

/// A seeded random generator (SplitMix64), for randomized tests that fail the same way twice.
public struct SplitMix: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

