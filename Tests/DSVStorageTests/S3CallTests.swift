@testable import DSVStorage
import Testing

/// How an error names the S3 request that failed: a call on the bucket itself, which has no key
/// to tell it by, by what it asks.
struct S3CallTests {
    @Test func requestsAreNamedByWhatTheyAsk() {
        #expect(S3Call(method: "GET", bucket: "b", key: "p/x.jpg", query: [("versionId", "3")]).description == "GET s3://b/p/x.jpg")
        #expect(S3Call(method: "HEAD", bucket: "b", key: "p/x.jpg").description == "HEAD s3://b/p/x.jpg")
        #expect(ListingPage.call(bucket: "b", prefix: "p/", versioned: false).description == "list s3://b/p/")
        #expect(ListingPage.call(bucket: "b", prefix: "", versioned: false, marker: ("token", nil)).description == "list s3://b/")
        #expect(ListingPage.call(bucket: "b", prefix: "p/", versioned: true).description == "list versions of s3://b/p/")
        #expect(S3Call(method: "GET", bucket: "b", key: "", query: [("versioning", "")]).description == "GET s3://b/?versioning")
        #expect(S3Call(method: "GET", bucket: "b", key: "").description == "GET s3://b/")
    }
}
