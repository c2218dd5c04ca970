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

extension S3Client {
    /// Every object under `prefix` — or, with `delimiter: "/"`, the objects directly at that
    /// level and the folders below it — by ListObjectsV2 pages of up to 1,000 keys, never one
    /// request per object.
    public func listObjects(bucket: String, prefix: String, delimiter: String? = nil) throws(S3Error)
        -> (objects: [S3ObjectInfo], folders: [String]) {
        var objects: [S3ObjectInfo] = []
        var folders: [String] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
            if let delimiter { query.append(("delimiter", delimiter)) }
            if let token { query.append(("continuation-token", token)) }
            let body = Substring(String(decoding: try send("GET", bucket: bucket, key: "", query: query).body, as: UTF8.self))
            objects += XMLText.elements("Contents", in: body).compactMap { Self.object($0, versioned: false) }
            for entry in XMLText.elements("CommonPrefixes", in: body) { folders += XMLText.all("Prefix", in: entry) }
            token = XMLText.all("IsTruncated", in: body).first == "true" ? XMLText.all("NextContinuationToken", in: body).first : nil
        } while token != nil
        return (objects, folders)
    }

    /// Every version of every object under `prefix` of a versioned bucket (ListObjectVersions
    /// pages). Delete markers are left out: a key whose latest entry is a delete marker has no
    /// version with `isLatest`.
    public func listVersions(bucket: String, prefix: String) throws(S3Error) -> [S3ObjectInfo] {
        var objects: [S3ObjectInfo] = []
        var keyMarker: String?, versionMarker: String?
        repeat {
            var query = [("versions", ""), ("prefix", prefix), ("max-keys", "1000")]
            if let keyMarker { query.append(("key-marker", keyMarker)) }
            if let versionMarker { query.append(("version-id-marker", versionMarker)) }
            let body = Substring(String(decoding: try send("GET", bucket: bucket, key: "", query: query).body, as: UTF8.self))
            objects += XMLText.elements("Version", in: body).compactMap { Self.object($0, versioned: true) }
            let truncated = XMLText.all("IsTruncated", in: body).first == "true"
            keyMarker = truncated ? XMLText.all("NextKeyMarker", in: body).first : nil
            versionMarker = truncated ? XMLText.all("NextVersionIdMarker", in: body).first : nil
        } while keyMarker != nil
        return objects
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
