import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Testing

/// Commit pins every image by listing; verify lists again.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 server (make test)"))
struct PinningTests {
    let s3 = TestS3.current!

    var configuration: S3Configuration {
        S3Configuration(endpoint: try! S3Endpoint(url: s3.endpoint), region: s3.region, credentials: s3.credentials)
    }

    static let export = #"{"categories":[{"id":1,"name":"car"}],"images":[{"id":1,"file_name":"b 1/x+1.jpg"},{"id":2,"file_name":"b 1/ü.jpg"},{"id":3,"file_name":"b2/y.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1,2,3,4]}]}"#

    func setUp(versioned: Bool = false, upload: [String] = ["b 1/x+1.jpg", "b 1/ü.jpg", "b2/y.jpg"]) throws -> (ScratchRepository, String, S3Client) {
        let bucket = try s3.makeBucket("pin")
        let client = try s3.client()
        if versioned { try client.enableVersioning(bucket: bucket) }
        for name in upload { try client.putObject(bucket: bucket, key: "imgs/\(name)", body: Array(name.utf8)) }
        return (try ScratchRepository(), bucket, client)
    }

    @discardableResult
    func commit(_ scratch: ScratchRepository, _ bucket: String, allowMissing: Bool = false) throws -> CommitOperation.Outcome {
        let path = scratch.directory.write("e.json", Self.export)
        return try CommitOperation.run(.init(exports: [path], message: "pinned", imagesPrefix: "s3://\(bucket)/imgs/",
                                             s3: configuration, allowMissing: allowMissing),
                                       in: scratch.repository, author: ScratchRepository.author)
    }

    @Test func commitPinsEveryImage() throws {
        let (scratch, bucket, _) = try setUp()
        try commit(scratch, bucket)
        let version = try scratch.version()
        #expect(version.summary.imagesPrefix == "s3://\(bucket)/imgs/")
        #expect(version.summary.objectsPinned == 3)
        let records = try version.records().flatMap { $0 }
        let pin = records.first { $0.key == "b 1/ü.jpg" }?.pin
        #expect(pin?.etag == hexString(Hasher.digest(.md5, Array("b 1/ü.jpg".utf8))))
        #expect(pin?.size == Int64("b 1/ü.jpg".utf8.count))
        #expect(try scratch.repository.setting("images") == "s3://\(bucket)/imgs/")
        #expect(try VerifyOperation.run(version, s3: configuration).isClean)
    }

    /// Two objects whose keys differ only in Unicode normalization (NFC "é", NFD "e" and a
    /// combining accent) each pin their own image, and verify finds both.
    @Test func keysThatDifferOnlyInNormalizationPinTheirOwnObjects() throws {
        let (nfc, nfd) = ("caf\u{E9}.jpg", "cafe\u{301}.jpg")
        let (scratch, bucket, _) = try setUp(upload: [nfc])
        let client = try s3.client()
        try client.putObject(bucket: bucket, key: "imgs/\(nfd)", body: Array("the other one".utf8))
        let path = scratch.directory.write("e.json", #"{"images":[{"id":1,"file_name":"\#(nfc)"},{"id":2,"file_name":"\#(nfd)"}]}"#)
        _ = try CommitOperation.run(.init(exports: [path], message: "pinned", imagesPrefix: "s3://\(bucket)/imgs/", s3: configuration),
                                    in: scratch.repository, author: ScratchRepository.author)
        let version = try scratch.version()
        #expect(version.summary.objectsPinned == 2)
        let pins = try version.records().joined().map { (Array($0.key.utf8), $0.pin?.size) }
        #expect(pins.count == 2)
        for (key, size) in pins {
            #expect(size == Int64(key == Array(nfc.utf8) ? nfc.utf8.count : "the other one".utf8.count), "\(key)")
        }
        #expect(try VerifyOperation.run(version, s3: configuration).isClean)
    }

    @Test func missingObjectsAreRefusedUnlessAllowed() throws {
        let (scratch, bucket, _) = try setUp(upload: ["b2/y.jpg"])
        do {
            _ = try commit(scratch, bucket)
            Issue.record("expected missingObjects")
        } catch {
            guard case CommitError.missingObjects(_, let keys, let count)? = error as? CommitError else { Issue.record("\(error)"); return }
            #expect(count == 2)
            #expect(keys == ["imgs/b 1/x+1.jpg", "imgs/b 1/ü.jpg"])
        }
        #expect(try scratch.repository.head() == nil, "nothing committed")
        guard case .committed(let made) = try commit(scratch, bucket, allowMissing: true) else {
            Issue.record("expected a commit"); return
        }
        #expect(made.summary.objectsPinned == 1 && made.missingObjects.count == 2)
    }

    @Test func verifyFindsChangedAndMissingObjects() throws {
        let (scratch, bucket, client) = try setUp()
        try commit(scratch, bucket)
        try client.putObject(bucket: bucket, key: "imgs/b2/y.jpg", body: Array("new bytes".utf8))
        try client.deleteObject(bucket: bucket, key: "imgs/b 1/x+1.jpg")
        let report = try VerifyOperation.run(try scratch.version(), s3: configuration)
        #expect(report.checked == 3)
        #expect(report.changed == ["imgs/b2/y.jpg"])
        #expect(report.missing == ["imgs/b 1/x+1.jpg"])
    }

    /// On a versioned bucket a pinned version that still exists is fine after an overwrite.
    @Test func verifyOnVersionedBucketsChecksThePinnedVersion() throws {
        let (scratch, bucket, client) = try setUp(versioned: true)
        try commit(scratch, bucket)
        let pinned = try scratch.version().records().flatMap { $0 }.first { $0.key == "b2/y.jpg" }?.pin
        #expect(pinned?.versionID != nil)
        try client.putObject(bucket: bucket, key: "imgs/b2/y.jpg", body: Array("overwritten".utf8))
        #expect(try VerifyOperation.run(try scratch.version(), s3: configuration).isClean)
    }

    @Test func verifyRefusesAVersionWithoutPrefix() throws {
        let scratch = try ScratchRepository()
        try scratch.commit([scratch.directory.write("e.json", Self.export)])
        #expect(throws: VerifyOperation.Failure.self) { try VerifyOperation.run(try scratch.version(), s3: configuration) }
    }
}
