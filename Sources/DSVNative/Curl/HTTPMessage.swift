/// An HTTP request as the S3 client builds it; the body is sent as given.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// Where a successful (2xx) response body goes instead of memory.
    public var download: DownloadTarget?

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                download: DownloadTarget? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.download = download
    }
}

/// A file that receives a response body as it arrives, hashed on the way: objects are streamed
/// to disk, never held whole in memory. The file is created (truncated) only once a 2xx status
/// is known, so an error body never lands in it; a failed transfer removes it.
public struct DownloadTarget: Sendable {
    public var path: String
    public var digest: DigestAlgorithm?

    public init(path: String, digest: DigestAlgorithm? = nil) {
        self.path = path
        self.digest = digest
    }
}

/// What a streamed download wrote.
public struct DownloadResult: Sendable {
    public var bytes: Int
    public var digest: [UInt8]?

    public init(bytes: Int, digest: [UInt8]?) {
        self.bytes = bytes
        self.digest = digest
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names in lower case, in the order received.
    public var headers: [(name: String, value: String)]
    /// The body, unless it was streamed to a `DownloadTarget`.
    public var body: [UInt8]
    /// What was streamed to the request's `DownloadTarget`, for a 2xx response.
    public var downloaded: DownloadResult?

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8], downloaded: DownloadResult? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.downloaded = downloaded
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}
