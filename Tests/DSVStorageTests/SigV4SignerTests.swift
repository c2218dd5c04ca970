import DSVNative
import DSVStorage
import Testing

@Suite struct SigV4SignerTests {
    /// AWS Signature Version 4 test suite, `get-vanilla`.
    @Test func getVanilla() {
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIDEXAMPLE",
                                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1", service: "service")
        let headers = signer.sign(method: "GET", path: "/", query: [], headers: [("Host", "example.amazonaws.com")],
                                  payloadHash: SigV4Signer.emptyPayloadHash, date: AmzDate(timestamp: "20150830T123600Z"))
        #expect(headers.last?.1 == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    /// The GetObject example of the S3 SigV4 documentation (header signing with a Range header).
    @Test func s3GetObjectExample() {
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1")
        let headers = signer.sign(method: "GET", path: "/test.txt", query: [],
                                  headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
                                  payloadHash: SigV4Signer.emptyPayloadHash, date: AmzDate(timestamp: "20130524T000000Z"))
        #expect(headers.last?.1.hasSuffix(
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == true)
    }

    /// The presigned-URL example of the S3 SigV4 documentation.
    @Test func s3PresignedURLExample() {
        let signer = SigV4Signer(credentials: S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                            secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1")
        let query = signer.presignedQuery(method: "GET", path: "/test.txt", host: "examplebucket.s3.amazonaws.com",
                                          query: [], expires: 86400, date: AmzDate(timestamp: "20130524T000000Z"))
        #expect(query.hasSuffix("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"))
    }

    @Test func uriEncodingFollowsAWS() {
        #expect(URIEncoding.encode("batch 1/img+ü.jpg", keepSlash: true) == "batch%201/img%2B%C3%BC.jpg")
        #expect(URIEncoding.encode("a/b", keepSlash: false) == "a%2Fb")
    }
}
