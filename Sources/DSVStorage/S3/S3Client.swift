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
        do { curl = try CurlEasy() } catch { throw .unavailable(request: "starting a transfer", reason: "\(error)") }
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

    /// A presigned GET URL for an object, valid for `expires` seconds (SigV4 query signing).
    public func presignedURL(bucket: String, key: String, expires: Int, versionID: String? = nil) -> String {
        let path = endpoint.path(bucket: bucket, key: key)
        let query = versionID.map { [("versionId", $0)] } ?? []
        guard let credentials else {
            let plain = query.map { "\($0.0)=\(URIEncoding.encode($0.1, keepSlash: false))" }.joined(separator: "&")
            return endpoint.url(bucket: bucket, path: path, query: plain)
        }
        let signed = SigV4Signer(credentials: credentials, region: region)
            .presignedQuery(method: "GET", path: path, host: endpoint.hostHeader(bucket: bucket), query: query,
                            expires: expires, date: .now())
        return endpoint.url(bucket: bucket, path: path, query: signed)
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
    /// otherwise. Retried as `retryPolicy` says.
    @discardableResult
    public func send(_ method: String, bucket: String, key: String, query: [(String, String)] = [],
                     headers: [(String, String)] = [], body: [UInt8] = []) throws(S3Error) -> HTTPResponse {
        let call = S3Call(method: method, bucket: bucket, key: key, query: query, headers: headers, body: body)
        var attempt = 0
        while true {
            let outcome = classify(call, Result(catching: { () throws(CurlError) in try curl.perform(request(for: call)) }))
            switch outcome {
            case .success(let response): return response
            case .failure(let error): throw error
            case .retry(let error, let retryAfter):
                attempt += 1
                UTCClock.sleep(seconds: try retryPolicy.afterFailure(error, retryAfter: retryAfter, attempts: attempt).get())
            }
        }
    }

    /// Runs calls through libcurl's multi interface on this thread — up to `concurrency` in
    /// flight, connections reused — retrying each as `retryPolicy` says. Each success goes to
    /// `handle`, which may return follow-up calls (the next page of a listing). The first final
    /// failure stops the run and is thrown.
    public func run(_ calls: [S3Call], concurrency: Int,
                    handle: (S3Call, HTTPResponse) throws(S3Error) -> [S3Call]) throws(S3Error) {
        try run(calls, concurrency: concurrency, completed: { (call, result) throws(S3Error) in
            try handle(call, result.get())
        })
    }

    /// Runs calls as above, giving every final result — a 2xx response, or the error after the
    /// last retry — to `completed`, which decides: it returns follow-up calls, or throws to stop
    /// the run. Once stopped no call starts, but the transfers already in flight still finish
    /// and are delivered (a download that completed is not thrown away); the first error thrown
    /// is rethrown at the end.
    public func run(_ calls: [S3Call], concurrency: Int,
                    completed: (S3Call, Result<HTTPResponse, S3Error>) throws(S3Error) -> [S3Call]) throws(S3Error) {
        struct Pending { var call: S3Call; var attempt: Int; var notBefore: Double }
        var fresh = calls
        var nextFresh = 0
        var retries: [Pending] = []
        var active: [Int: Pending] = [:]
        var nextTag = 0
        var failure: S3Error?
        let multi: CurlMulti
        do { multi = try CurlMulti(maxConnectionsPerHost: concurrency) } catch { throw .unavailable(request: "starting a transfer", reason: "\(error)") }
        func deliver(_ call: S3Call, _ result: Result<HTTPResponse, S3Error>) {
            do throws(S3Error) {
                let more = try completed(call, result)
                if failure == nil { fresh += more }
            } catch {
                if failure == nil { failure = error }
            }
        }
        multi.run(concurrency: concurrency, next: {
            if failure != nil { return .done }
            let pending: Pending
            if nextFresh < fresh.count {
                pending = Pending(call: fresh[nextFresh], attempt: 0, notBefore: 0)
                nextFresh += 1
            } else {
                let now = Trace.now()
                guard let index = retries.firstIndex(where: { $0.notBefore <= now }) else {
                    return retries.isEmpty ? .done : .wait(seconds: (retries.map(\.notBefore).min() ?? now) - now)
                }
                pending = retries.remove(at: index)
            }
            nextTag += 1
            active[nextTag] = pending
            return .request(tag: nextTag, request(for: pending.call))
        }, completed: { tag, result in
            guard var pending = active.removeValue(forKey: tag) else { return }
            switch classify(pending.call, result) {
            case .success(let response):
                deliver(pending.call, .success(response))
            case .failure(let error):
                deliver(pending.call, .failure(error))
            case .retry(let error, let retryAfter):
                pending.attempt += 1
                // A stopped run retries nothing: the error is final at once.
                let next = failure == nil ? retryPolicy.afterFailure(error, retryAfter: retryAfter, attempts: pending.attempt)
                                          : .failure(retryPolicy.finalError(error, attempts: pending.attempt))
                switch next {
                case .success(let delay):
                    pending.notBefore = Trace.now() + delay
                    retries.append(pending)
                case .failure(let final):
                    deliver(pending.call, .failure(final))
                }
            }
            // Drop consumed calls now and then so that a long run does not keep them all.
            if nextFresh > 4096 && nextFresh * 2 > fresh.count {
                fresh.removeFirst(nextFresh)
                nextFresh = 0
            }
        })
        if let failure { throw failure }
    }

    /// The signed HTTP request for a call (signed when sent, so a retry gets a fresh date).
    func request(for call: S3Call) -> HTTPRequest {
        let path = endpoint.path(bucket: call.bucket, key: call.key)
        var headers = [("Host", endpoint.hostHeader(bucket: call.bucket))] + call.headers
        if let credentials {
            let signer = SigV4Signer(credentials: credentials, region: region)
            let payloadHash = call.body.isEmpty ? SigV4Signer.emptyPayloadHash : hexString(Hasher.digest(.sha256, call.body))
            headers = signer.sign(method: call.method, path: path, query: call.query, headers: headers,
                                  payloadHash: payloadHash, date: .now())
        }
        let query = call.query.map { "\(URIEncoding.encode($0.0, keepSlash: false))=\(URIEncoding.encode($0.1, keepSlash: false))" }
            .joined(separator: "&")
        return HTTPRequest(method: call.method, url: endpoint.url(bucket: call.bucket, path: path, query: query),
                           headers: headers.map { (name: $0.0, value: $0.1) }, body: call.body, download: call.download)
    }

    enum Outcome {
        case success(HTTPResponse)
        case retry(S3Error, retryAfter: Double?)
        case failure(S3Error)
    }

    /// What a transfer's result means: 2xx, a retryable failure, or a final one.
    func classify(_ call: S3Call, _ result: Result<HTTPResponse, CurlError>) -> Outcome {
        switch result {
        case .success(let response):
            if (200..<300).contains(response.status) { return .success(response) }
            let (code, message) = S3ErrorBody.parse(response.body)
            let error = S3Error.service(request: call.description, status: response.status,
                                        code: code.isEmpty ? "HTTP\(response.status)" : code, message: message)
            guard RetryPolicy.isRetryable(status: response.status, code: code) else { return .failure(error) }
            return .retry(error, retryAfter: response.header("retry-after").flatMap(Double.init))
        case .failure(let error):
            if let local = error.localFailure { return .failure(.local(request: call.description, local)) }
            // The request is named already; curl's message would name it again, signed query and all.
            let failure = S3Error.unavailable(request: call.description, reason: "\(error.reason) at \(endpoint.scheme)://\(endpoint.authority)")
            return error.isTransient ? .retry(failure, retryAfter: nil) : .failure(failure)
        }
    }
}

/// One S3 request, before signing.
public struct S3Call: Sendable, CustomStringConvertible {
    public var method: String
    public var bucket: String
    public var key: String
    public var query: [(String, String)]
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Where a 2xx response's body is streamed instead of memory.
    public var download: DownloadTarget?

    public init(method: String, bucket: String, key: String, query: [(String, String)] = [],
                headers: [(String, String)] = [], body: [UInt8] = [], download: DownloadTarget? = nil) {
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
        self.body = body
        self.download = download
    }

    /// "GET s3://bucket/key", as errors name requests. A call on the bucket itself has no key to
    /// tell what it asks: a listing is named by what it lists ("list s3://bucket/prefix", "list
    /// versions of …"), any other by its query ("GET s3://bucket/?versioning").
    public var description: String {
        guard key.isEmpty, !query.isEmpty else { return "\(method) s3://\(bucket)/\(key)" }
        if method == "GET", let prefix = query.first(where: { $0.0 == "prefix" })?.1 {
            return "\(query.contains { $0.0 == "versions" } ? "list versions of" : "list") s3://\(bucket)/\(prefix)"
        }
        return "\(method) s3://\(bucket)/?" + query.map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }.joined(separator: "&")
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

    /// A plain MD5 (32 hex digits): a single-part upload. Multipart ETags end in `-<parts>`.
    public static func isPlainMD5(_ etag: String) -> Bool {
        etag.utf8.count == 32 && etag.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 102) }
    }
}

extension RetryPolicy {
    /// S3 retries what `RetryPolicy` does, and its throttling and timeout codes whatever the status.
    static func isRetryable(status: Int, code: String) -> Bool {
        isRetryable(status: status) || code == "SlowDown" || code == "RequestTimeout"
    }

    /// After a retryable failure of attempt number `attempts` (counting from 1): the delay
    /// before the next attempt, or the final error when no attempt is left.
    func afterFailure(_ error: S3Error, retryAfter: Double?, attempts: Int) -> Result<Double, S3Error> {
        delay(afterAttempt: attempts, retryAfter: retryAfter).map { .success($0) } ?? .failure(finalError(error, attempts: attempts))
    }

    /// The error after the last attempt: "unavailable", with S3's code where there was one.
    func finalError(_ error: S3Error, attempts: Int) -> S3Error {
        switch error {
        case .service(let request, let status, let code, let message):
            .unavailable(request: request, reason: "\(status) \(code)\(message.isEmpty ? "" : ": \(message)") after \(attempts) attempts")
        case .unavailable(let request, let reason):
            .unavailable(request: request, reason: "\(reason) (after \(attempts) attempts)")
        case .configuration, .local:
            error
        }
    }
}
