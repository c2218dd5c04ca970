/// A subset (split) of a version, as CVAT names it: `instances_Train.json` is task `instances`,
/// subset `Train`. Which image is in which split is part of what a model was trained on, so each
/// record carries its subset, and each subset keeps its own header and order.
public struct Subset: Sendable, Hashable {
    /// The subset CVAT writes when a task has no subsets, and the one of a lone file with no name.
    public static let defaultName = "default"
    /// The task of a file whose name says none; CVAT's COCO 1.0 export writes `instances_<subset>`.
    public static let defaultTask = "instances"
    /// COCO's file prefixes, as CVAT and Datumaro write them, longest first so that
    /// `person_keypoints_Train` is not read as task `person`.
    public static let knownTasks = ["person_keypoints", "image_info", "instances", "captions", "panoptic", "labels", "stuff"]

    public var name: String
    /// The file-name prefix: a checkout to a directory writes `annotations/<task>_<name>.json`.
    public var task: String

    public init(name: String, task: String = Subset.defaultTask) {
        self.name = name
        self.task = task
    }

    public static let `default` = Subset(name: defaultName)

    public var isDefault: Bool { name == Self.defaultName }

    /// The file a checkout to a directory writes, relative to it.
    public var fileName: String { "annotations/\(task)_\(name).json" }

    /// The subset a file's name gives (`<task>_<subset>.json` with a COCO task), or nil when
    /// the name says none. A name that says one that cannot be (`instances_.hidden.json`, a
    /// control character) is refused rather than read as another subset.
    /// - Parameter label: how messages name the file.
    public static func named(byFile path: String, label: String) throws(COCOError) -> Subset? {
        let file = path.split { $0 == "/" || $0 == "\\" }.last.map(String.init) ?? path
        guard file.hasSuffix(".json") else { return nil }
        let stem = String(file.dropLast(5))
        for task in knownTasks where stem.hasPrefix(task + "_") {
            let name = String(stem.dropFirst(task.count + 1))
            if let problem = problem(name) {
                throw .invalid(file: label, reason: "its name gives the subset \(JSONValue.string(name).compact), which cannot be one: \(problem)")
            }
            return Subset(name: name, task: task)
        }
        return nil
    }

    /// Two of `names` that differ only in case (`Train`, `train`), or nil. CVAT keeps a task's
    /// subset as free text and writes one file per subset, so both can come out of one project;
    /// but their files (`instances_Train.json`, `instances_train.json`) and image folders are
    /// one on a case-insensitive file system (macOS, Windows), and a checkout would lose one.
    public static func caseCollision(_ names: [String]) -> (String, String)? {
        var seen: [String: String] = [:]
        for name in names {
            if let other = seen.updateValue(name, forKey: name.lowercased()), other != name { return (other, name) }
        }
        return nil
    }

    /// Why `name` cannot name a subset (it becomes a folder of the version's tree and part of a
    /// file name), or nil when it can.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "a subset name must not be empty" }
        if name == "." || name == ".." || name.hasPrefix(".") { return "a subset name must not start with '.'" }
        if name.utf8.count > 200 { return "a subset name must be at most 200 bytes" }
        if name.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F }) {
            return "a subset name must not contain '/', '\\' or control characters"
        }
        return nil
    }
}
