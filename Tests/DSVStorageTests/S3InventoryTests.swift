import DSVNative
import DSVStorage
import DSVTestSupport
import Testing

/// Listing against the SeaweedFS server `make test` starts, with SigV4 enforced.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 server (make test)"))
struct S3InventoryTests {
    let s3 = TestS3.current!

    var configuration: S3Configuration {
        S3Configuration(endpoint: try! S3Endpoint(url: s3.endpoint), region: s3.region, credentials: s3.credentials)
    }

    /// Keys with spaces, `+`, unicode and subfolders, and more than one page (1,000 keys).
    @Test func listsEveryObjectAcrossPagesAndFolders() throws {
        let bucket = try s3.makeBucket("inv")
        let client = try s3.client()
        var expected: [String: String] = [:]
        for i in 0..<1050 {
            let key = "data/batch_000\(i % 3)/img \(i)+ü.jpg"
            expected[key] = try client.putObject(bucket: bucket, key: key, body: Array("image \(i)".utf8))
        }
        expected["data/top.jpg"] = try client.putObject(bucket: bucket, key: "data/top.jpg", body: [1, 2, 3])
        try client.putObject(bucket: bucket, key: "other/x.jpg", body: [9])
        let inventory = try S3Inventory.list(S3Location(url: "s3://\(bucket)/data/"), configuration: configuration)
        #expect(!inventory.versioned)
        #expect(inventory.current.count == expected.count)
        for (key, etag) in expected { #expect(inventory.current[ExactKey(key)]?.etag == etag, "\(key)") }
        #expect(inventory.current["data/top.jpg"]?.size == 3)
        #expect(inventory.requests < 20, "listing pages, not one request per object: \(inventory.requests)")
    }

    @Test func versionedBucketsPinTheLatestVersion() throws {
        let bucket = try s3.makeBucket("ver")
        let client = try s3.client()
        try client.enableVersioning(bucket: bucket)
        try client.putObject(bucket: bucket, key: "p/a.jpg", body: [1])
        try client.putObject(bucket: bucket, key: "p/a.jpg", body: [2, 2])
        try client.putObject(bucket: bucket, key: "p/gone.jpg", body: [3])
        try client.deleteObject(bucket: bucket, key: "p/gone.jpg")
        let inventory = try S3Inventory.list(S3Location(url: "s3://\(bucket)/p/"), configuration: configuration)
        #expect(inventory.versioned)
        #expect(inventory.current["p/a.jpg"]?.size == 2)
        #expect(inventory.current["p/a.jpg"]?.versionID != nil)
        #expect(inventory.versions["p/a.jpg"]?.count == 2)
        #expect(inventory.current["p/gone.jpg"] == nil, "a delete marker hides the key")
    }

    /// Multipart uploads have ETags that are not MD5s (`…-N`); they are pinned as they are.
    @Test func multipartETagsArePinnedAsListed() throws {
        let bucket = try s3.makeBucket("mp")
        let client = try s3.client()
        let part = [UInt8](repeating: 7, count: 5 << 20)
        let etag = try client.putObjectMultipart(bucket: bucket, key: "m/big.jpg", parts: [part, [1, 2, 3]])
        #expect(etag.hasSuffix("-2"), "\(etag)")
        let inventory = try S3Inventory.list(S3Location(url: "s3://\(bucket)/m/"), configuration: configuration)
        #expect(inventory.current["m/big.jpg"]?.etag == etag)
        #expect(inventory.current["m/big.jpg"]?.size == Int64(part.count + 3))
    }

    @Test func locationsParse() throws {
        #expect(try S3Location(url: "s3://b/p/q/") == S3Location(bucket: "b", prefix: "p/q/"))
        #expect(try S3Location(url: "s3://b") == S3Location(bucket: "b", prefix: ""))
        #expect(throws: S3Error.self) { try S3Location(url: "http://b/p") }
        #expect(throws: S3Error.self) { try S3Location(url: "s3:///p") }
    }
}
