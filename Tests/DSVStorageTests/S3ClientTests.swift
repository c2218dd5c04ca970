import DSVNative
import Foundation
import DSVStorage
import DSVTestSupport
import Testing

/// Against the SeaweedFS server `make test` starts, with SigV4 enforced.
@Suite(.enabled(if: TestS3.current != nil, "needs the test S3 server (make test)"))
struct S3ClientTests {
    let s3 = TestS3.current!

    @Test func signedPutAndGetSucceed() throws {
        let bucket = try s3.makeBucket()
        let client = try s3.client()
        let body = Array("pixels".utf8)
        let etag = try client.putObject(bucket: bucket, key: "batch 1/img+1.jpg", body: body)
        #expect(etag == hexString(Hasher.digest(.md5, body)))
        #expect(try client.getObject(bucket: bucket, key: "batch 1/img+1.jpg") == body)
    }

    /// A presigned URL fetched with no credentials at all gets the object; a tampered one does not.
    @Test func presignedURLsWorkAgainstTheServer() throws {
        let bucket = try s3.makeBucket()
        let client = try s3.client()
        try client.putObject(bucket: bucket, key: "dir/a b+ü.jpg", body: Array("pixels".utf8))
        let url = client.presignedURL(bucket: bucket, key: "dir/a b+ü.jpg", expires: 600)
        let response = try CurlEasy().perform(HTTPRequest(method: "GET", url: url))
        #expect(response.status == 200)
        #expect(response.body == Array("pixels".utf8))
        let tampered = try CurlEasy().perform(HTTPRequest(method: "GET", url: url.replacingOccurrences(of: "X-Amz-Expires=600", with: "X-Amz-Expires=601")))
        #expect(tampered.status == 403)
    }

    /// Many requests through libcurl's multi interface on one thread, all answered.
    @Test func concurrentCallsThroughTheMultiInterface() throws {
        let bucket = try s3.makeBucket()
        let client = try s3.client()
        for i in 0..<200 { try client.putObject(bucket: bucket, key: "m/\(i)", body: Array("object \(i)".utf8)) }
        var bodies: [String: String] = [:]
        try client.run((0..<200).map { S3Call(method: "GET", bucket: bucket, key: "m/\($0)") }, concurrency: 32) { call, response in
            bodies[call.key] = String(decoding: response.body, as: UTF8.self)
            return []
        }
        #expect(bodies.count == 200)
        #expect(bodies["m/137"] == "object 137")
    }

    @Test func wrongSecretIsATyped403() throws {
        let bucket = try s3.makeBucket()
        var credentials = s3.credentials
        credentials.secretAccessKey = "not-the-secret"
        let client = try s3.client(credentials: credentials)
        do {
            _ = try client.getObject(bucket: bucket, key: "anything")
            Issue.record("expected SignatureDoesNotMatch")
        } catch {
            guard case .service(let request, let status, let code, _) = error else {
                Issue.record("got \(error)"); return
            }
            #expect(status == 403)
            #expect(code == "SignatureDoesNotMatch")
            #expect(request == "GET s3://\(bucket)/anything")
            #expect(!error.description.contains("not-the-secret"))
        }
    }

    @Test func missingObjectIsNoSuchKey() throws {
        let bucket = try s3.makeBucket()
        #expect {
            try s3.client().getObject(bucket: bucket, key: "missing.jpg")
        } throws: { error in
            guard case S3Error.service(_, 404, "NoSuchKey", _) = error else { return false }
            return true
        }
    }

    @Test func deadServerIsUnavailable() throws {
        let client = try S3Client(endpoint: S3Endpoint(url: "http://127.0.0.1:1"), region: "us-east-1",
                                  credentials: s3.credentials)
        #expect {
            try client.getObject(bucket: "b", key: "k")
        } throws: { error in
            guard case S3Error.unavailable = error else { return false }
            return true
        }
    }
}
