import Dispatch
import DSVNative

/// What S3 holds under a prefix, listed once: the current object for every key, and on a
/// versioned bucket every version. Listing runs concurrently across the prefix's sub-folders
/// (CVAT keys usually carry `batch_0007/…` folders) through libcurl's multi interface.
public struct S3Inventory: Sendable {
    public let location: S3Location
    public let versioned: Bool
    /// The current object (latest version) of each key, byte for byte (`ExactKey`).
    public let current: [ExactKey: S3ObjectInfo]
    /// Every version id of each key (versioned buckets only).
    public let versions: [ExactKey: Set<String>]
    /// Requests made, to show that pinning costs pages, not objects.
    public let requests: Int

    public static func list(_ location: S3Location, configuration: S3Configuration) throws(S3Error) -> S3Inventory {
        let client = try configuration.client()
        let versioned = try client.isVersioned(bucket: location.bucket)
        var objects: [S3ObjectInfo] = []
        var prefixes: [String] = [location.prefix]
        var requests = 1
        if !versioned {
            // The first level, then its folders concurrently.
            let level = try client.listObjects(bucket: location.bucket, prefix: location.prefix, delimiter: "/")
            requests += 1
            objects = level.objects
            prefixes = level.folders
        }
        // Every folder's pages through one multi handle: a page's answer starts the next page.
        // The thread driving the transfers reads only the continuation; the entries are parsed
        // afterwards on all cores.
        let first = prefixes.map { ListingPage.call(bucket: location.bucket, prefix: $0, versioned: versioned) }
        var pages: [(S3Call, [UInt8])] = []
        try client.run(first, concurrency: 16) { (call, response) throws(S3Error) in
            pages.append((call, response.body))
            requests += 1
            return ListingPage(call, body: response.body, entries: false).next.map { [$0] } ?? []
        }
        let parsed = ResultSlots<[S3ObjectInfo]>(count: pages.count)
        let bodies = pages
        DispatchQueue.concurrentPerform(iterations: bodies.count) { index in
            parsed[index] = ListingPage(bodies[index].0, body: bodies[index].1).objects
        }
        for index in 0..<bodies.count { objects += parsed[index] ?? [] }
        var current: [ExactKey: S3ObjectInfo] = [:]
        var versions: [ExactKey: Set<String>] = [:]
        for object in objects {
            if object.isLatest { current[ExactKey(object.key)] = object }
            if let version = object.versionID { versions[ExactKey(object.key), default: []].insert(version) }
        }
        return S3Inventory(location: location, versioned: versioned, current: current, versions: versions, requests: requests)
    }
}
