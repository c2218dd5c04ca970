import DSVStorage

/// A version's exports grouped by subset: the files of one subset merged into one `ExportPlan`
/// (per-job exports), different subsets kept apart, in the order of their names so the same
/// files give the same version whatever order they were given in. An image key may be in one
/// subset only.
public struct VersionPlan: Sendable {
    public struct Part: Sendable {
        public var subset: Subset
        public var plan: ExportPlan
    }

    public let parts: [Part]

    public var imageCount: Int { parts.reduce(0) { $0 + $1.plan.imageCount } }
    /// Frames that overlapping exports of one group shared, each kept once.
    public var sharedImages: Int { parts.reduce(0) { $0 + $1.plan.sharedImages } }
    public var annotationCount: Int { parts.reduce(0) { $0 + $1.plan.annotationCount } }
    /// Every export, subset after subset.
    public var exports: [COCOExport] { parts.flatMap(\.plan.exports) }
    /// Every image key, subset after subset.
    public var keys: [String] { parts.flatMap(\.plan.keys) }

    /// - Parameter exports: each export with the subset it belongs to, and the overlap group of
    ///   exports that share frames (see `ExportPlan`).
    public init(_ exports: [(export: COCOExport, subset: Subset)]) throws(COCOError) {
        try self.init(exports.map { ($0.export, $0.subset, nil) })
    }

    public init(_ exports: [(export: COCOExport, subset: Subset, overlapGroup: Int?)]) throws(COCOError) {
        precondition(!exports.isEmpty)
        var names: [String] = []
        var grouped: [String: [(COCOExport, Subset, Int?)]] = [:]
        for item in exports {
            if grouped[item.subset.name] == nil { names.append(item.subset.name) }
            grouped[item.subset.name, default: []].append(item)
        }
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        if let (a, b) = Subset.caseCollision(names) {
            throw .conflict(reason: "subsets \(a) (\(grouped[a]![0].0.name)) and \(b) (\(grouped[b]![0].0.name)) differ only in case; "
                            + "their files would be one on a case-insensitive file system — rename one of them in CVAT")
        }
        var parts: [Part] = []
        for name in names {
            let members = grouped[name]!
            // One task per subset, so that its checkout file is the one committed: a Datumaro
            // export with instances_val.json and captions_val.json would otherwise come back as one.
            if let other = members.first(where: { $0.1.task != members[0].1.task }) {
                throw .conflict(reason: "subset \(name) mixes COCO tasks: \(members[0].1.task) (\(members[0].0.name)) and \(other.1.task) "
                                + "(\(other.0.name)); a version keeps one task per subset — commit the tasks separately")
            }
            parts.append(Part(subset: members[0].1, plan: try ExportPlan(exports: members.map(\.0), overlapGroups: members.map(\.2))))
        }
        self.parts = parts
        if parts.count > 1 { try checkDisjoint() }
    }

    /// An image in two subsets is an error that names it, both subsets and their files.
    private func checkDisjoint() throws(COCOError) {
        var subsetOfKey: [ExactKey: Int] = [:]
        subsetOfKey.reserveCapacity(imageCount)
        for (index, part) in parts.enumerated() {
            for key in part.plan.keys {
                if let other = subsetOfKey.updateValue(index, forKey: ExactKey(key)) {
                    throw .conflict(reason: "image \"\(key)\" is in subset \(parts[other].subset.name) (\(file(of: key, in: parts[other]))) "
                                    + "and in subset \(part.subset.name) (\(file(of: key, in: part))); an image belongs to one subset")
                }
            }
        }
    }

    private func file(of key: String, in part: Part) -> String {
        for position in 0..<part.plan.imageCount where ExactKey(part.plan.key(of: position)) == ExactKey(key) {
            return part.plan.exports[Int(part.plan.images[position].file)].name
        }
        return "?"
    }
}
