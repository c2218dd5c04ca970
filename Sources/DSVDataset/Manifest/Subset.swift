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

    /// The subset a file's name gives (`<task>_<subset>.json` with a COCO task), or nil.
    public static func named(byFile path: String) -> Subset? {
        let file = path.split { $0 == "/" || $0 == "\\" }.last.map(String.init) ?? path
        guard file.hasSuffix(".json") else { return nil }
        let stem = String(file.dropLast(5))
        for task in knownTasks where stem.hasPrefix(task + "_") {
            let name = String(stem.dropFirst(task.count + 1))
            return problem(name) == nil ? Subset(name: name, task: task) : nil
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
