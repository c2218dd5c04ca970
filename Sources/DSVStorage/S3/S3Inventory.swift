import Dispatch
import DSVNative

/// What S3 holds under a prefix, listed once: the current object for every key, and on a
/// versioned bucket every version. Listing runs in parallel across the prefix's sub-folders
/// (CVAT keys usually carry `batch_0007/…` folders), one client per worker.
public struct S3Inventory: Sendable {
    public let location: S3Location
    public let versioned: Bool
    /// The current object (latest version) of each key.
    public let current: [String: S3ObjectInfo]
    /// Every version id of each key (versioned buckets only).
    public let versions: [String: Set<String>]
    /// Requests made, to show that pinning costs pages, not objects.
    public let requests: Int

    public static func list(_ location: S3Location, configuration: S3Configuration) throws(S3Error) -> S3Inventory {
        let client = try configuration.client()
        let versioned = try client.isVersioned(bucket: location.bucket)
        var objects: [S3ObjectInfo] = []
        var prefixes: [String] = [location.prefix]
        var requests = 1
        if !versioned {
            // The first level, then its folders in parallel.
            let level = try client.listObjects(bucket: location.bucket, prefix: location.prefix, delimiter: "/")
            requests += 1
            objects = level.objects
            prefixes = level.folders
        }
        let results = ParallelListing.run(prefixes, configuration: configuration) { (client, prefix) throws(S3Error) in
            versioned ? try client.listVersions(bucket: location.bucket, prefix: prefix)
                : try client.listObjects(bucket: location.bucket, prefix: prefix).objects
        }
        for result in results { objects += try result.get() }
        requests += prefixes.count
        var current: [String: S3ObjectInfo] = [:]
        var versions: [String: Set<String>] = [:]
        for object in objects {
            if object.isLatest { current[object.key] = object }
            if let version = object.versionID { versions[object.key, default: []].insert(version) }
        }
        return S3Inventory(location: location, versioned: versioned, current: current, versions: versions, requests: requests)
    }
}

/// Runs one listing per prefix on a few threads, each with its own client (connection).
enum ParallelListing {
    static func run<T: Sendable>(_ prefixes: [String], configuration: S3Configuration,
                                 _ body: @escaping @Sendable (S3Client, String) throws(S3Error) -> T) -> [Result<T, S3Error>] {
        let workers = min(max(1, prefixes.count), 8)
        let results = ResultSlots<Result<T, S3Error>>(count: prefixes.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let client: S3Client
            switch Result(catching: { () throws(S3Error) in try configuration.client() }) {
            case .success(let made): client = made
            case .failure(let error):
                var index = worker
                while index < prefixes.count { results[index] = .failure(error); index += workers }
                return
            }
            var index = worker
            while index < prefixes.count {
                results[index] = Result { () throws(S3Error) in try body(client, prefixes[index]) }
                index += workers
            }
        }
        return (0..<prefixes.count).map { results[$0]! }
    }
}
