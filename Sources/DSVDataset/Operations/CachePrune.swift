import DSVNative
import DSVStorage

/// `dsv gc --prune-cache`: the materialize cache holds every object of every version ever
/// materialized; this keeps what the newest versions of the current branch and the tagged ones
/// pin, and removes the rest. A version pruned away still materializes: its objects are
/// downloaded again, as pinned, while S3 has them.
public enum CachePrune {
    public struct Report: Sendable, Equatable {
        public var versions = 0
        public var kept = 0
        public var removed = 0
        public var bytesFreed = 0
    }

    /// - Parameter keep: how many of the newest versions of the current branch to keep (tagged
    ///   versions are always kept).
    public static func run(_ repository: DatasetRepository, cache: String, keep: Int) throws(MaterializeOperation.Failure) -> Report {
        var commits: [GitObjectID] = []
        do throws(RepositoryError) {
            var next = try repository.head()
            while let id = next, commits.count < keep {
                commits.append(id)
                do { next = try repository.git.commit(id).parents.first } catch { throw .git(error) }
            }
            for tag in try repository.tags() where !commits.contains(tag.commit) { commits.append(tag.commit) }
        } catch {
            throw .repository(error)
        }
        var wanted: Set<ObjectCache.Identity> = []
        for commit in commits {
            do throws(RepositoryError) {
                let version = try StoredVersion(repository: repository, commitID: commit)
                guard let prefix = version.summary.imagesPrefix, let location = try? S3Location(url: prefix) else { continue }
                for image in try version.pinnedImages() {
                    guard let pin = image.pin else { continue }
                    wanted.insert(ObjectCache.Identity(bucket: location.bucket, key: location.key(for: image.key), etag: pin.etag,
                                                       versionID: pin.versionID))
                }
            } catch { throw .repository(error) }
        }
        let cacheStore: ObjectCache
        do { cacheStore = try ObjectCache(root: cache) } catch { throw .cache(error) }
        let pruned = cacheStore.prune(keeping: wanted)
        return Report(versions: commits.count, kept: pruned.kept, removed: pruned.removed, bytesFreed: pruned.bytes)
    }
}
