import DSVNative

/// AWS Signature Version 4 (HMAC-SHA256 over a canonical request), for headers and for
/// presigned URLs. Pure: the caller supplies the time, so signatures are testable against AWS's
/// published vectors.
public struct SigV4Signer: Sendable {
    public let credentials: S3Credentials
    public let region: String
    public let service: String

    public init(credentials: S3Credentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The hex SHA-256 of an empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Signs a request by headers. `path` is the already percent-encoded URI path; `query` holds
    /// the decoded query parameters; `headers` must include `host` and any `x-amz-*` to sign.
    /// Returns the headers to send: the given ones plus `x-amz-date`, `x-amz-content-sha256`
    /// (for S3), `x-amz-security-token` when there is a session token, and `Authorization`.
    public func sign(method: String, path: String, query: [(String, String)], headers: [(String, String)],
                     payloadHash: String, date: AmzDate) -> [(String, String)] {
        var all = headers
        all.append(("x-amz-date", date.timestamp))
        if service == "s3" { all.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken { all.append(("x-amz-security-token", token)) }
        let (canonicalHeaders, signedHeaders) = canonicalize(all)
        let canonicalRequest = [method, path, canonicalQuery(query), canonicalHeaders, signedHeaders, payloadHash]
            .joined(separator: "\n")
        let signature = self.signature(canonicalRequest: canonicalRequest, date: date)
        all.append(("Authorization",
                    "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope(date)), "
                        + "SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return all
    }

    /// A presigned URL's query string (without `?`): the given parameters plus the `X-Amz-*`
    /// ones, signed for `expires` seconds with an unsigned payload and only `host` signed.
    public func presignedQuery(method: String, path: String, host: String, query: [(String, String)],
                               expires: Int, date: AmzDate) -> String {
        var parameters = query
        parameters.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        parameters.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(date))"))
        parameters.append(("X-Amz-Date", date.timestamp))
        parameters.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        parameters.append(("X-Amz-SignedHeaders", "host"))
        let canonicalRequest = [method, path, canonicalQuery(parameters), "host:\(host)\n", "host", "UNSIGNED-PAYLOAD"]
            .joined(separator: "\n")
        let signature = self.signature(canonicalRequest: canonicalRequest, date: date)
        return canonicalQuery(parameters) + "&X-Amz-Signature=" + signature
    }

    func scope(_ date: AmzDate) -> String { "\(date.day)/\(region)/\(service)/aws4_request" }

    func signature(canonicalRequest: String, date: AmzDate) -> String {
        let stringToSign = ["AWS4-HMAC-SHA256", date.timestamp, scope(date),
                            hexString(Hasher.digest(.sha256, canonicalRequest))].joined(separator: "\n")
        var key = HMAC.sha256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), message: date.day)
        key = HMAC.sha256(key: key, message: region)
        key = HMAC.sha256(key: key, message: service)
        key = HMAC.sha256(key: key, message: "aws4_request")
        return hexString(HMAC.sha256(key: key, message: stringToSign))
    }

    /// Lower-cased names, sorted; values trimmed with inner runs of spaces folded; duplicate
    /// names joined with commas.
    func canonicalize(_ headers: [(String, String)]) -> (canonical: String, signed: String) {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let folded = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[name.lowercased(), default: []].append(folded)
        }
        let names = merged.keys.sorted()
        let canonical = names.map { "\($0):\(merged[$0]!.joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (URIEncoding.encode($0.0, keepSlash: false), URIEncoding.encode($0.1, keepSlash: false)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }
}

/// The two forms of a signing time: `20150830T123600Z` and `20150830`.
public struct AmzDate: Sendable {
    public let timestamp: String
    public var day: String { String(timestamp.prefix(8)) }

    public init(timestamp: String) { self.timestamp = timestamp }

    /// The current UTC time.
    public static func now() -> AmzDate { AmzDate(timestamp: UTCClock.amzTimestamp()) }
}
