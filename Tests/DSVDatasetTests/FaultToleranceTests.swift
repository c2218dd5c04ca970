import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Testing

/// Commit and verify through a proxy that answers 15% of requests with 503 SlowDown and drops 5%
/// of connections: retries with backoff carry them through, with the same result.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 server (make test)"))
struct FaultToleranceTests {
    let s3 = TestS3.current!

    @Test func pinningAndVerifySurviveSlowDownsAndDrops() throws {
        let bucket = try s3.makeBucket("flaky")
        let client = try s3.client()
        var names: [String] = []
        for i in 0..<60 {
            let name = "f\(i % 6)/img_\(i).jpg"
            names.append(name)
            try client.putObject(bucket: bucket, key: "p/\(name)", body: Array(name.utf8))
        }
        let proxy = try FaultProxy(upstream: s3.endpoint, slowDown: 0.15, drop: 0.05)
        let flaky = S3Configuration(endpoint: try S3Endpoint(url: proxy.endpoint), region: s3.region, credentials: s3.credentials)
        let images = names.enumerated().map { #"{"id":\#($0.offset),"file_name":"\#($0.element)"}"# }.joined(separator: ",")
        let scratch = try ScratchRepository()
        let path = scratch.directory.write("e.json", #"{"images":[\#(images)]}"#)
        for round in 0..<3 {
            _ = try CommitOperation.run(.init(exports: [path], message: "r\(round)", imagesPrefix: "s3://\(bucket)/p/", s3: flaky),
                                        in: scratch.repository, author: ScratchRepository.author)
            #expect(try scratch.version().summary.objectsPinned == 60)
            let report = try VerifyOperation.run(try scratch.version(), s3: flaky)
            #expect(report.checked == 60 && report.isClean)
        }
    }

    /// A 503 with `Retry-After: 1` makes the client wait that second, not its own short backoff.
    @Test func retryAfterIsHonored() throws {
        let proxy = try FaultProxy(upstream: s3.endpoint, slowDown: 1.0, drop: 0, retryAfter: 1)
        let client = try S3Client(endpoint: S3Endpoint(url: proxy.endpoint), region: s3.region, credentials: s3.credentials)
        client.retryPolicy.attempts = 2
        client.retryPolicy.baseDelay = 0.001
        let start = Trace.now()
        #expect(throws: S3Error.self) { try client.getObject(bucket: "any", key: "k") }
        #expect(Trace.now() - start >= 0.95)
    }

    @Test func retriesStopAtTheLastAttempt() throws {
        let proxy = try FaultProxy(upstream: s3.endpoint, slowDown: 1.0, drop: 0)
        let client = try S3Client(endpoint: S3Endpoint(url: proxy.endpoint), region: s3.region, credentials: s3.credentials)
        client.retryPolicy.baseDelay = 0.01
        do {
            _ = try client.getObject(bucket: "any", key: "k")
            Issue.record("expected unavailable")
        } catch {
            guard case .unavailable(let request, let reason) = error else { Issue.record("\(error)"); return }
            #expect(request == "GET s3://any/k")
            #expect(reason.contains("503 SlowDown") && reason.contains("after 5 attempts"))
        }
    }
}
