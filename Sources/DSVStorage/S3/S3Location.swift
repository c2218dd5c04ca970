/// An `s3://bucket/prefix/` location. The prefix is kept as written (with its trailing slash):
/// an image's object key is the prefix followed by its `file_name`.
public struct S3Location: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    public var prefix: String

    public init(bucket: String, prefix: String) {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// Parses `s3://bucket` or `s3://bucket/some/prefix/`.
    public init(url: String) throws(S3Error) {
        guard url.hasPrefix("s3://") else { throw .configuration("'\(url)' is not an s3:// URL (s3://bucket/prefix/)") }
        let rest = url.dropFirst(5)
        let slash = rest.firstIndex(of: "/")
        bucket = String(slash.map { rest[..<$0] } ?? rest)
        prefix = slash.map { String(rest[rest.index(after: $0)...]) } ?? ""
        guard !bucket.isEmpty else { throw .configuration("'\(url)' names no bucket") }
    }

    public func key(for fileName: String) -> String { prefix + fileName }

    public var description: String { "s3://\(bucket)/\(prefix)" }
}
