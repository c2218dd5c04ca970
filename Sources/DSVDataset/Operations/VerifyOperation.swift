import DSVJSON
import DSVNative
import DSVStorage

/// `dsv verify`: does S3 still hold every object a version pins? One listing of the prefix, no
/// download. On a versioned bucket a pinned version that still exists is fine even if a newer
/// one was written; elsewhere the current object must have the pinned ETag.
public enum VerifyOperation {
    public struct Report: Sendable {
        public var checked: Int
        /// Object keys no longer in S3 (or whose pinned version is gone).
        public var missing: [String]
        /// Object keys whose object changed since the commit.
        public var changed: [String]
        public var isClean: Bool { missing.isEmpty && changed.isEmpty }

        public var json: JSONValue {
            .object([("checked", .int(checked)), ("missing", .array(missing.map(JSONValue.string))),
                     ("changed", .array(changed.map(JSONValue.string)))])
        }
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case noPrefix(String)
        case s3(S3Error)
        case repository(RepositoryError)

        public var description: String {
            switch self {
            case .noPrefix(let commit): "version \(commit) pins no S3 objects (it was committed without --images)"
            case .s3(let error): error.description
            case .repository(let error): error.description
            }
        }
    }

    /// - Parameter s3: resolved only once the version is known to pin objects, so that a version
    ///   that pins none is refused as such, not for want of credentials it would never use.
    public static func run(_ version: StoredVersion, s3: @autoclosure () throws(S3Error) -> S3Configuration) throws(Failure) -> Report {
        guard let prefix = version.summary.imagesPrefix else { throw .noPrefix(version.commit.id.short) }
        let inventory: S3Inventory
        do { inventory = try S3Inventory.list(try S3Location(url: prefix), configuration: try s3()) } catch { throw .s3(error) }
        let images: [PinnedImage]
        do { images = try version.pinnedImages() } catch { throw .repository(error) }
        var report = Report(checked: 0, missing: [], changed: [])
        for image in images {
            guard let pin = image.pin else { continue }
            report.checked += 1
            let key = inventory.location.key(for: image.key)
            if let version = pin.versionID, inventory.versioned {
                if !(inventory.versions[ExactKey(key)]?.contains(version) ?? false) { report.missing.append(key) }
            } else if let current = inventory.current[ExactKey(key)] {
                if current.etag != pin.etag || current.size != pin.size { report.changed.append(key) }
            } else {
                report.missing.append(key)
            }
        }
        report.missing.sort()
        report.changed.sort()
        return report
    }
}
