import DSVNative

/// A small S3 client of our own: SigV4 on OpenSSL, transfers on libcurl. One easy handle is
/// reused for successive requests so that its connection stays alive.
///
/// Not thread safe; give each thread its own client.
public final class S3Client: @unchecked Sendable {
    public let endpoint: S3Endpoint
    public let region: String
    /// nil for `--no-sign-request` (anonymous access to public buckets).
    public let credentials: S3Credentials?
    /// How failed requests are retried.
    public var retryPolicy = RetryPolicy()
    private let curl: CurlEasy

    public init(endpoint: S3Endpoint, region: String, credentials: S3Credentials?) throws(S3Error) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        do { curl = try CurlEasy() } catch { throw .configuration("cannot start libcurl: \(error)") }
    }

    /// Uploads an object; returns its ETag (quotes removed).
    @discardableResult
    public func putObject(bucket: String, key: String, body: [UInt8]) throws(S3Error) -> String {
        let response = try send("PUT", bucket: bucket, key: key, body: body)
        return response.header("etag").map(ETag.normalize) ?? ""
    }

    /// Downloads a whole object.
    public func getObject(bucket: String, key: String) throws(S3Error) -> [UInt8] {
        try send("GET", bucket: bucket, key: key).body
    }

    /// Uploads an object in parts (CreateMultipartUpload, UploadPart, CompleteMultipartUpload);
    /// its ETag is not an MD5 but ends in `-<parts>`. Returns the ETag.
    @discardableResult
    public func putObjectMultipart(bucket: String, key: String, parts: [[UInt8]]) throws(S3Error) -> String {
        let created = String(decoding: try send("POST", bucket: bucket, key: key, query: [("uploads", "")]).body, as: UTF8.self)
        guard let upload = XMLText.first("UploadId", in: created) else {
            throw .service(request: "POST s3://\(bucket)/\(key)?uploads", status: 200, code: "NoUploadId", message: "")
        }
        var completion = "<CompleteMultipartUpload>"
        for (index, part) in parts.enumerated() {
            let response = try send("PUT", bucket: bucket, key: key,
                                    query: [("partNumber", String(index + 1)), ("uploadId", upload)], body: part)
            let etag = response.header("etag") ?? ""
            completion += "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(etag)</ETag></Part>"
        }
        completion += "</CompleteMultipartUpload>"
        let done = try send("POST", bucket: bucket, key: key, query: [("uploadId", upload)], body: Array(completion.utf8))
        return ETag.normalize(XMLText.first("ETag", in: String(decoding: done.body, as: UTF8.self)) ?? "")
    }

    /// Deletes an object (a delete marker on a versioned bucket).
    public func deleteObject(bucket: String, key: String) throws(S3Error) {
        try send("DELETE", bucket: bucket, key: key)
    }

    /// Creates a bucket; an existing bucket we own is fine.
    public func createBucket(_ bucket: String) throws(S3Error) {
        do {
            try send("PUT", bucket: bucket, key: "")
        } catch .service(_, _, let code, _) where code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
            return
        }
    }

    /// Sends one signed request and returns the response when its status is 2xx; S3's error
    /// otherwise.
    @discardableResult
    public func send(_ method: String, bucket: String, key: String, query: [(String, String)] = [],
                     headers: [(String, String)] = [], body: [UInt8] = []) throws(S3Error) -> HTTPResponse {
        let path = endpoint.path(bucket: bucket, key: key)
        let description = "\(method) s3://\(bucket)/\(key)"
        var allHeaders = [("Host", endpoint.hostHeader(bucket: bucket))] + headers
        if let credentials {
            let signer = SigV4Signer(credentials: credentials, region: region)
            let payloadHash = body.isEmpty ? SigV4Signer.emptyPayloadHash : hexString(Hasher.digest(.sha256, body))
            allHeaders = signer.sign(method: method, path: path, query: query, headers: allHeaders,
                                     payloadHash: payloadHash, date: .now())
        }
        let queryString = query.map { "\(URIEncoding.encode($0.0, keepSlash: false))=\(URIEncoding.encode($0.1, keepSlash: false))" }
            .joined(separator: "&")
        let request = HTTPRequest(method: method, url: endpoint.url(bucket: bucket, path: path, query: queryString),
                                  headers: allHeaders.map { (name: $0.0, value: $0.1) }, body: body)
        var attempt = 0
        while true {
            var retryAfter: Double?
            let failure: S3Error
            switch Result(catching: { () throws(CurlError) in try curl.perform(request) }) {
            case .success(let response):
                if (200..<300).contains(response.status) { return response }
                let (code, message) = S3ErrorBody.parse(response.body)
                failure = .service(request: description, status: response.status,
                                   code: code.isEmpty ? "HTTP\(response.status)" : code, message: message)
                guard RetryPolicy.isRetryable(status: response.status, code: code) else { throw failure }
                retryAfter = response.header("retry-after").flatMap(Double.init)
            case .failure(let error):
                failure = .unavailable(request: description, reason: error.message)
                guard error.isTransient else { throw failure }
            }
            attempt += 1
            guard attempt < retryPolicy.attempts else {
                if case .service(let request, let status, let code, let message) = failure {
                    throw .unavailable(request: request, reason: "\(status) \(code)\(message.isEmpty ? "" : ": \(message)") after \(attempt) attempts")
                }
                if case .unavailable(let request, let reason) = failure {
                    throw .unavailable(request: request, reason: "\(reason) (after \(attempt) attempts)")
                }
                throw failure
            }
            UTCClock.sleep(seconds: retryPolicy.delay(attempt: attempt, retryAfter: retryAfter))
        }
    }
}


/// ETags as S3 sends them (`"9b2cf535f27731c974343645a3985328"`, `"…-3"` for multipart).
public enum ETag {
    /// Without the surrounding quotes.
    public static func normalize(_ etag: String) -> String {
        var text = Substring(etag)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        if text.hasPrefix("&quot;") { return normalize(XMLText.unescape(String(text))) }
        return String(text)
    }
}

/// Retries with exponential backoff and full jitter (AWS's recommendation): on 5xx, 408, 429,
/// `SlowDown`, timeouts and connection resets; never on other 4xx. `Retry-After` is honored.
public struct RetryPolicy: Sendable {
    public var attempts = 5
    public var baseDelay = 0.1
    public var maxDelay = 5.0

    public init() {}

    static func isRetryable(status: Int, code: String) -> Bool {
        status >= 500 || status == 408 || status == 429 || code == "SlowDown" || code == "RequestTimeout"
    }

    /// A random delay in [0, min(max, base·2^attempt)], or what the server asked for.
    func delay(attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(retryAfter, 30) }
        return Double.random(in: 0...min(maxDelay, baseDelay * Double(1 << min(attempt, 16))))
    }
}
