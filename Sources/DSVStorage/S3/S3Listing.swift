/// One object as a listing reports it: what a version pins.
public struct S3ObjectInfo: Sendable, Equatable {
    public var key: String
    public var etag: String
    public var size: Int64
    public var lastModified: String
    /// Set when listed from a versioned bucket.
    public var versionID: String?
    /// For object versions: whether this is the key's current version.
    public var isLatest: Bool = true
}

/// One page of a listing: ListObjectsV2 (`versioned == false`) or ListObjectVersions.
struct ListingPage {
    var objects: [S3ObjectInfo] = []
    var folders: [String] = []
    /// The call for the next page, when the listing is truncated.
    var next: S3Call?

    /// The call for a page of `prefix`; `marker` continues a truncated listing.
    static func call(bucket: String, prefix: String, versioned: Bool, delimiter: String? = nil,
                     marker: (String, String?)? = nil) -> S3Call {
        var query = versioned ? [("versions", ""), ("prefix", prefix), ("max-keys", "1000")]
                              : [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let (first, second) = marker {
            if versioned {
                query.append(("key-marker", first))
                if let second { query.append(("version-id-marker", second)) }
            } else {
                query.append(("continuation-token", first))
            }
        }
        return S3Call(method: "GET", bucket: bucket, key: "", query: query)
    }

    /// With `entries: false` only what continues the listing is read (the entries can be
    /// parsed later, off the thread that drives the transfers).
    init(_ call: S3Call, body: [UInt8], entries: Bool = true) {
        let text = Substring(String(decoding: body, as: UTF8.self))
        let versioned = call.query.contains { $0.0 == "versions" }
        let prefix = call.query.first { $0.0 == "prefix" }?.1 ?? ""
        let delimiter = call.query.first { $0.0 == "delimiter" }?.1
        if entries {
            objects = XMLText.elements(versioned ? "Version" : "Contents", in: text).compactMap { S3Client.object($0, versioned: versioned) }
            for entry in XMLText.elements("CommonPrefixes", in: text) { folders += XMLText.all("Prefix", in: entry) }
        }
        guard XMLText.all("IsTruncated", in: text).first == "true" else { return }
        if versioned, let key = XMLText.all("NextKeyMarker", in: text).first {
            next = Self.call(bucket: call.bucket, prefix: prefix, versioned: true, delimiter: delimiter,
                             marker: (key, XMLText.all("NextVersionIdMarker", in: text).first))
        } else if !versioned, let token = XMLText.all("NextContinuationToken", in: text).first {
            next = Self.call(bucket: call.bucket, prefix: prefix, versioned: false, delimiter: delimiter, marker: (token, nil))
        }
    }
}

extension S3Client {
    /// Every object under `prefix` — or, with `delimiter: "/"`, the objects directly at that
    /// level and the folders below it — by ListObjectsV2 pages of up to 1,000 keys, never one
    /// request per object.
    public func listObjects(bucket: String, prefix: String, delimiter: String? = nil) throws(S3Error)
        -> (objects: [S3ObjectInfo], folders: [String]) {
        let pages = try listPages(ListingPage.call(bucket: bucket, prefix: prefix, versioned: false, delimiter: delimiter))
        return (pages.flatMap(\.objects), pages.flatMap(\.folders))
    }

    /// Every version of every object under `prefix` of a versioned bucket (ListObjectVersions
    /// pages). Delete markers are left out: a key whose latest entry is a delete marker has no
    /// version with `isLatest`.
    public func listVersions(bucket: String, prefix: String) throws(S3Error) -> [S3ObjectInfo] {
        try listPages(ListingPage.call(bucket: bucket, prefix: prefix, versioned: true)).flatMap(\.objects)
    }

    func listPages(_ first: S3Call) throws(S3Error) -> [ListingPage] {
        var pages: [ListingPage] = []
        var call: S3Call? = first
        while let current = call {
            let page = ListingPage(current, body: try send(current.method, bucket: current.bucket, key: current.key,
                                                         query: current.query).body)
            pages.append(page)
            call = page.next
        }
        return pages
    }

    /// Whether versioning is enabled on the bucket (GetBucketVersioning).
    public func isVersioned(bucket: String) throws(S3Error) -> Bool {
        let body = String(decoding: try send("GET", bucket: bucket, key: "", query: [("versioning", "")]).body, as: UTF8.self)
        return XMLText.first("Status", in: body) == "Enabled"
    }

    /// Turns versioning on (for tests and the demo).
    public func enableVersioning(bucket: String) throws(S3Error) {
        let body = #"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#
        try send("PUT", bucket: bucket, key: "", query: [("versioning", "")], body: Array(body.utf8))
    }

    static func object(_ entry: Substring, versioned: Bool) -> S3ObjectInfo? {
        guard let key = XMLText.all("Key", in: entry).first else { return nil }
        return S3ObjectInfo(key: key, etag: ETag.normalize(XMLText.all("ETag", in: entry).first ?? ""),
                            size: Int64(XMLText.all("Size", in: entry).first ?? "") ?? 0,
                            lastModified: XMLText.all("LastModified", in: entry).first ?? "",
                            versionID: versioned ? XMLText.all("VersionId", in: entry).first : nil,
                            isLatest: versioned ? XMLText.all("IsLatest", in: entry).first == "true" : true)
    }
}
