import DSVDataset
import DSVStorage

/// Where the review page finds each changed image: in a folder made by `materialize`, by a
/// path relative to the page (so the page and the folder can move together, offline), or in S3
/// by a presigned GET URL (SigV4 query signing; the pinned version where there is one).
/// An image without a source (no prefix, or a name that is no file of the folder) gets nil.
enum ReviewImages {
    static func urls(for diff: VersionDiff, page: String, imagesFrom: String?, expires: Int, s3: S3Options) throws -> [String?] {
        if let imagesFrom {
            let base = relativePath(from: absolute(FileSystem.directory(of: page)), to: absolute(imagesFrom))
            // A name that would lead out of the folder (`/data/x.jpg`, `../x.jpg`) is no file of it.
            return diff.images.map { RelativePath.problem($0.key) == nil ? URIEncoding.encode(joinPath(base, $0.key), keepSlash: true) : nil }
        }
        guard let prefix = diff.to.summary.imagesPrefix ?? diff.from.summary.imagesPrefix else {
            return diff.images.map { _ in nil }
        }
        let location = try S3Location(url: prefix)
        let client = try s3.configuration().client()
        return diff.images.map { image in
            client.presignedURL(bucket: location.bucket, key: location.key(for: image.key), expires: expires,
                                versionID: image.shownPin?.versionID)
        }
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : joinPath(FileSystem.currentDirectory, path)
        var parts: [Substring] = []
        for component in full.split(separator: "/") where component != "." {
            if component == ".." { _ = parts.popLast() } else { parts.append(component) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `to` as seen from the folder `from` (both absolute): `../images` and the like.
    static func relativePath(from: String, to: String) -> String {
        let a = from.split(separator: "/"), b = to.split(separator: "/")
        var common = 0
        while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
        let up = Array(repeating: "..", count: a.count - common)
        let path = (up + b[common...].map(String.init)).joined(separator: "/")
        return path.isEmpty ? "." : path
    }
}
