/// Where S3 requests go: scheme, host and port, and whether buckets go in the path
/// (`http://host/bucket/key`, the default for custom endpoints) or in the host name.
public struct S3Endpoint: Sendable, Equatable {
    public var scheme: String
    public var host: String
    public var port: Int?
    public var pathStyle: Bool

    public init(scheme: String, host: String, port: Int?, pathStyle: Bool) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.pathStyle = pathStyle
    }

    /// Parses `http://127.0.0.1:8333` or `https://s3.example.com/`.
    public init(url: String, pathStyle: Bool = true) throws(S3Error) {
        guard let schemeEnd = url.firstRange(of: "://") else {
            throw .configuration("endpoint '\(url)' has no scheme (http:// or https://)")
        }
        scheme = String(url[..<schemeEnd.lowerBound]).lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw .configuration("endpoint '\(url)' must start with http:// or https://")
        }
        var authority = url[schemeEnd.upperBound...]
        if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let number = Int(authority[authority.index(after: colon)...]) else {
                throw .configuration("endpoint '\(url)' has a bad port")
            }
            host = String(authority[..<colon])
            port = number
        } else {
            host = String(authority)
            port = nil
        }
        guard !host.isEmpty else { throw .configuration("endpoint '\(url)' has no host") }
        self.pathStyle = pathStyle
    }

    /// AWS's own endpoint for a region, virtual-hosted style.
    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", port: nil, pathStyle: false)
    }

    /// `host` or `host:port`.
    public var authority: String { port.map { "\(host):\($0)" } ?? host }

    /// The Host header for a bucket.
    func hostHeader(bucket: String) -> String {
        let base = authority
        return pathStyle || bucket.isEmpty ? base : "\(bucket).\(base)"
    }

    /// The percent-encoded path of an object (or of the bucket when `key` is empty).
    func path(bucket: String, key: String) -> String {
        let encodedKey = URIEncoding.encode(key, keepSlash: true)
        if bucket.isEmpty { return "/" }
        return pathStyle ? "/\(bucket)/\(encodedKey)" : "/\(encodedKey)"
    }

    func url(bucket: String, path: String, query: String) -> String {
        "\(scheme)://\(hostHeader(bucket: bucket))\(path)\(query.isEmpty ? "" : "?" + query)"
    }
}
