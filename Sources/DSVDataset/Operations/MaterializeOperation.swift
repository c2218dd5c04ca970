import DSVJSON
import DSVNative
import DSVStorage

/// `dsv materialize`: the exact image bytes of a version, from S3 into a folder.
///
/// Each image is fetched as pinned — by its VersionId, or with `If-Match: <etag>` — streamed into
/// the object cache, checked (size; MD5 where the ETag is one), admitted to the cache by rename
/// and then linked (or copied) into the folder. What is already in the cache is only linked, and
/// what is already in place is left alone, so a rerun after an interruption, or the next
/// version, downloads only what is new. An object that changed in S3 since the commit is
/// reported by key and not written; the run goes on with the others.
public enum MaterializeOperation {
    public struct Request: Sendable {
        public var output: String
        public var cache: String
        /// Transfers in flight.
        public var concurrency: Int
        public var shard: Shard?
        /// Only the images of this subset (e.g. Train).
        public var subset: String?
        /// Each image at `<subset>/<file_name>`, as CVAT's export with images lays them out
        /// (`images/Train/…`), rather than at `<file_name>`.
        public var subsetFolders = false

        public init(output: String, cache: String, concurrency: Int = 64, shard: Shard? = nil, subset: String? = nil,
                    subsetFolders: Bool = false) {
            self.output = output
            self.cache = cache
            self.concurrency = concurrency
            self.shard = shard
            self.subset = subset
            self.subsetFolders = subsetFolders
        }
    }

    /// Where the run is, for a progress bar.
    public struct Progress: Sendable {
        public var files: Int
        public var done: Int
        public var bytesDownloaded: Int64
        /// Bytes of the files still to download when downloading started.
        public var bytesToDownload: Int64
    }

    public struct Report: Sendable, Equatable {
        public var files = 0
        /// Fetched from S3 in this run.
        public var downloaded = 0
        /// Linked or copied from the cache (`alreadyPresent` included).
        public var fromCache = 0
        /// Already in the folder as the cached file: nothing to do.
        public var alreadyPresent = 0
        public var bytesDownloaded: Int64 = 0
        /// Object keys whose object changed in S3 since the commit.
        public var changed: [String] = []
        /// Object keys no longer in S3 (or never pinned).
        public var missing: [String] = []

        public var isComplete: Bool { changed.isEmpty && missing.isEmpty }
        /// Files dealt with so far, whatever became of them.
        var done: Int { fromCache + downloaded + changed.count + missing.count }

        public var json: JSONValue {
            .object([("files", .int(files)), ("downloaded", .int(downloaded)), ("from_cache", .int(fromCache)),
                     ("already_present", .int(alreadyPresent)), ("bytes_downloaded", .int(Int(bytesDownloaded))),
                     ("changed", .array(changed.map(JSONValue.string))), ("missing", .array(missing.map(JSONValue.string)))])
        }
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case noPrefix(String)
        case output(OutputError)
        case s3(S3Error)
        case repository(RepositoryError)
        case cache(SystemError)

        public var description: String {
            switch self {
            case .noPrefix(let commit): "version \(commit) pins no S3 objects (it was committed without --images)"
            case .output(let error): error.description
            case .s3(let error): error.description
            case .repository(let error): error.description
            case .cache(let error): "cache: \(error)"
            }
        }
    }

    /// - Parameter s3: resolved once the images are known to be placeable (`images(of:request:)`),
    ///   so that a version that pins nothing, or a name refused, is reported as such rather than
    ///   as credentials missing.
    public static func run(_ version: StoredVersion, s3: @autoclosure () throws(S3Error) -> S3Configuration, request: Request,
                           progress: (Progress) -> Void = { _ in }) throws(Failure) -> Report {
        let images = try images(of: version, request: request)
        return try run(version, images: images, s3: try resolve(s3), request: request, progress: progress)
    }

    /// The S3 configuration a run needs, its failure as this operation's.
    static func resolve(_ s3: () throws(S3Error) -> S3Configuration) throws(Failure) -> S3Configuration {
        do { return try s3() } catch { throw .s3(error) }
    }

    /// The images a request places, each name checked: a version may hold names that would land
    /// outside the folder (`RelativePath`), and any refuses the whole run before anything is
    /// written — the first named with its reason, a few of the others after it (a subset's name
    /// is checked when the version is read). A caller that writes something of its own first (a
    /// training checkout) asks for them before it does.
    public static func images(of version: StoredVersion, request: Request) throws(Failure) -> [PinnedImage] {
        guard version.summary.imagesPrefix != nil else { throw .noPrefix(version.commit.id.short) }
        var images: [PinnedImage]
        if let subset = request.subset {
            do { _ = try version.subset(named: subset) } catch { throw .repository(error) }
        }
        do { images = try version.pinnedImages() } catch { throw .repository(error) }
        if let subset = request.subset { images = images.filter { $0.subset == subset } }
        if let shard = request.shard { images = shard.select(images) }
        // Every name refused, in the names' order — the version's own follows their hashes, and
        // named the first of two refused names by chance — the first with its reason, a few of
        // the others after it, and how many in all. The order is the keys' UTF-8 bytes, as
        // everywhere (`ShardLayout.keyPrecedes`): `String`'s `<` holds two spellings of one
        // accented name equal, and would leave their order to the hashes again.
        let refused = images.compactMap { image in RelativePath.problem(image.key).map { (key: image.key, problem: $0) } }
            .sorted { ShardLayout.keyPrecedes($0.key, $1.key) }
        if let first = refused.first {
            throw .output(.outside(first.key, first.problem, others: refused.count - 1, examples: refused.dropFirst().prefix(3).map(\.key)))
        }
        return images
    }

    /// Places `images`, which `images(of:request:)` gave for this version and request.
    public static func run(_ version: StoredVersion, images: [PinnedImage], s3: S3Configuration, request: Request,
                           progress: (Progress) -> Void = { _ in }) throws(Failure) -> Report {
        guard let prefix = version.summary.imagesPrefix else { throw .noPrefix(version.commit.id.short) }
        let location: S3Location
        let client: S3Client
        do {
            location = try S3Location(url: prefix)
            client = try s3.client()
        } catch { throw .s3(error) }
        func place(_ image: PinnedImage) -> String { request.subsetFolders ? image.subset + "/" + image.key : image.key }
        let cache: ObjectCache
        do { cache = try ObjectCache(root: request.cache) } catch { throw .cache(error) }
        let output: OutputDirectory
        do { output = try OutputDirectory(root: request.output) } catch { throw .output(error) }

        var report = Report(files: images.count)
        var bytesToDownload: Int64 = 0
        func progressed() {
            progress(Progress(files: report.files, done: report.done, bytesDownloaded: report.bytesDownloaded,
                              bytesToDownload: bytesToDownload))
        }
        var downloads: [String: (pin: ObjectPin, destination: String, identity: ObjectCache.Identity)] = [:]
        var calls: [S3Call] = []
        for image in images {
            guard let pin = image.pin else {
                report.missing.append(location.key(for: image.key))
                continue
            }
            let identity = ObjectCache.Identity(bucket: location.bucket, key: location.key(for: image.key), etag: pin.etag, versionID: pin.versionID)
            let destination: String
            do { destination = try output.path(for: place(image)) } catch { throw .output(error) }
            if let entry = cache.entry(for: identity, size: pin.size) {
                if let placed = try? FileStatus.of(destination), let cached = try? FileStatus.of(entry),
                   placed.kind == .file, placed.isSameFile(as: cached) {
                    report.alreadyPresent += 1
                } else {
                    do { try output.place(entry, at: destination) } catch { throw .output(.io(error)) }
                }
                report.fromCache += 1
                continue
            }
            let call = fetch(identity, pin: pin, into: cache.temporaryPath(for: identity))
            downloads[call.download!.path] = (pin, destination, identity)
            calls.append(call)
            bytesToDownload += pin.size
        }
        progressed()

        do throws(S3Error) {
            try client.run(calls, concurrency: max(1, request.concurrency), completed: { (call, result) throws(S3Error) in
                let temporary = call.download!.path
                guard let (pin, destination, identity) = downloads.removeValue(forKey: temporary) else { return [] }
                defer { progressed() }
                let response: HTTPResponse
                switch result {
                case .success(let success): response = success
                case .failure(let error):
                    FileSystem.remove(temporary)
                    switch objectProblem(error) {
                    case .changed?: report.changed.append(identity.key)
                    case .missing?: report.missing.append(identity.key)
                    case nil: throw error
                    }
                    // What an earlier version left under this name is not this version's image.
                    FileSystem.remove(destination)
                    return []
                }
                let downloaded = response.downloaded ?? DownloadResult(bytes: 0, digest: nil)
                guard matches(response, downloaded, pin) else {
                    FileSystem.remove(temporary)
                    FileSystem.remove(destination)
                    report.changed.append(identity.key)
                    return []
                }
                do throws(SystemError) {
                    try output.place(try cache.admit(temporary, as: identity), at: destination)
                } catch {
                    FileSystem.remove(temporary)
                    throw .local(request: call.description, error)
                }
                report.downloaded += 1
                report.bytesDownloaded += Int64(downloaded.bytes)
                return []
            })
        } catch {
            throw .s3(error)
        }
        report.changed.sort()
        report.missing.sort()
        return report
    }

    /// The GET of a pinned object: by version where there is one, else conditional on the ETag.
    static func fetch(_ identity: ObjectCache.Identity, pin: ObjectPin, into temporary: String) -> S3Call {
        let query = pin.versionID.map { [("versionId", $0)] } ?? []
        let headers = pin.versionID == nil ? [("If-Match", "\"\(pin.etag)\"")] : []
        return S3Call(method: "GET", bucket: identity.bucket, key: identity.key, query: query, headers: headers,
                      download: DownloadTarget(path: temporary, digest: ETag.isPlainMD5(pin.etag) ? .md5 : nil))
    }

    enum ObjectProblem { case changed, missing }

    /// What an S3 error says about one object: changed under its key (the ETag no longer
    /// matches), gone (no such key or version), or nothing object-specific (the run stops).
    static func objectProblem(_ error: S3Error) -> ObjectProblem? {
        guard case .service(_, let status, let code, _) = error else { return nil }
        if status == 412 { return .changed }
        if status == 404 && code != "NoSuchBucket" { return .missing }
        return nil
    }

    /// Whether a downloaded object is the pinned one: its ETag, its size, and its MD5 where the
    /// ETag is an MD5 (single-part, not encrypted with KMS or a customer key; SPEC §4).
    static func matches(_ response: HTTPResponse, _ downloaded: DownloadResult, _ pin: ObjectPin) -> Bool {
        if let etag = response.header("etag"), ETag.normalize(etag) != pin.etag { return false }
        if Int64(downloaded.bytes) != pin.size { return false }
        let encryption = response.header("x-amz-server-side-encryption") ?? ""
        let customerKey = response.header("x-amz-server-side-encryption-customer-algorithm") != nil
        if let digest = downloaded.digest, !encryption.hasPrefix("aws:kms"), !customerKey {
            return hexString(digest) == pin.etag.lowercased()
        }
        return true
    }
}
