/// One annotation as the diff sees it: its fields without the ids (ids are not identity), its
/// category by name (category ids are remapped between exports), its box for pairing.
public struct DiffAnnotation: Sendable, Equatable {
    /// The annotation object with `id` and `image_id` removed and `category_id` kept as written.
    public var object: JSONValue
    public var category: String
    public var bbox: [Double]?
    /// Everything that identifies the annotation's content: fields (minus ids) with the category
    /// by name, compact.
    public var content: String
    /// The geometry alone (bbox, segmentation, keypoints), for relabel detection.
    public var geometry: String

    public init(template: ObjectTemplate, categories: [IDKey: String]) {
        // The holes of lifted ids are filled with placeholders; ids are dropped right after.
        var members = (try? JSONValue.parse(template.filled(id: 0, imageID: 0)))?.objectValue ?? []
        members.removeAll { $0.0 == "id" || $0.0 == "image_id" }
        let categoryValue = members.first { $0.0 == "category_id" }?.1
        let name = categoryValue.map { categories[IDKey($0)] ?? "category \(IDKey($0))" } ?? "(none)"
        category = name
        object = .object(members)
        bbox = members.first { $0.0 == "bbox" }?.1.arrayValue?.compactMap(\.doubleValue)
        let comparable = members.map { $0.0 == "category_id" ? ("category", JSONValue.string(name)) : $0 }
        content = JSONValue.object(comparable).compact
        geometry = JSONValue.object(members.filter { ["bbox", "segmentation", "keypoints"].contains($0.0) }).compact
    }

    /// The object for output, with `category` (the name) beside `category_id`.
    public var display: JSONValue {
        guard case .object(var members) = object else { return object }
        members.append(("category", .string(category)))
        return .object(members)
    }
}

/// How the annotations of one image changed (SPEC §6): exact matches by content first, then
/// pairs by box IoU ≥ 0.5 within a category ("modified"), then identical geometry across
/// categories ("relabeled"); the rest were added or removed.
public struct AnnotationChanges: Sendable {
    public var added: [DiffAnnotation] = []
    public var removed: [DiffAnnotation] = []
    public var modified: [(from: DiffAnnotation, to: DiffAnnotation)] = []
    public var relabeled: [(from: DiffAnnotation, to: DiffAnnotation)] = []
    public var unchanged = 0

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && modified.isEmpty && relabeled.isEmpty }

    public static let iouThreshold = 0.5

    public init(from old: [DiffAnnotation], to new: [DiffAnnotation]) {
        // 1. Exact matches by content, as multisets (duplicate identical annotations count).
        var pending: [String: [Int]] = [:]
        for (index, annotation) in old.enumerated() { pending[annotation.content, default: []].append(index) }
        var oldLeft = Set(old.indices)
        var newLeft: [Int] = []
        for (index, annotation) in new.enumerated() {
            if var candidates = pending[annotation.content], !candidates.isEmpty {
                oldLeft.remove(candidates.removeFirst())
                pending[annotation.content] = candidates
                unchanged += 1
            } else {
                newLeft.append(index)
            }
        }
        var oldRest = oldLeft.sorted()
        // 2. Greedy pairs by IoU within a category, best pairs first.
        var pairs: [(iou: Double, old: Int, new: Int)] = []
        for n in newLeft {
            for o in oldRest where old[o].category == new[n].category {
                let iou = Self.iou(old[o].bbox, new[n].bbox)
                if iou >= Self.iouThreshold { pairs.append((iou, o, n)) }
            }
        }
        pairs.sort { $0.iou != $1.iou ? $0.iou > $1.iou : ($0.old, $0.new) < ($1.old, $1.new) }
        var usedOld = Set<Int>(), usedNew = Set<Int>()
        for pair in pairs where !usedOld.contains(pair.old) && !usedNew.contains(pair.new) {
            usedOld.insert(pair.old)
            usedNew.insert(pair.new)
            modified.append((old[pair.old], new[pair.new]))
        }
        oldRest.removeAll { usedOld.contains($0) }
        var newRest = newLeft.filter { !usedNew.contains($0) }
        // 3. Identical geometry across categories.
        for n in newRest {
            if let slot = oldRest.firstIndex(where: { old[$0].geometry == new[n].geometry && old[$0].category != new[n].category }) {
                relabeled.append((old[oldRest[slot]], new[n]))
                oldRest.remove(at: slot)
                usedNew.insert(n)
            }
        }
        newRest.removeAll { usedNew.contains($0) }
        added = newRest.map { new[$0] }
        removed = oldRest.map { old[$0] }
        modified.sort { ($0.to.bbox ?? []).lexicographicallyPrecedes($1.to.bbox ?? []) }
    }

    /// Intersection over union of two `[x, y, w, h]` boxes; 0 when either is missing.
    public static func iou(_ a: [Double]?, _ b: [Double]?) -> Double {
        guard let a, let b, a.count >= 4, b.count >= 4 else { return 0 }
        let x1 = max(a[0], b[0]), y1 = max(a[1], b[1])
        let x2 = min(a[0] + a[2], b[0] + b[2]), y2 = min(a[1] + a[3], b[1] + b[3])
        let intersection = max(0, x2 - x1) * max(0, y2 - y1)
        let union = a[2] * a[3] + b[2] * b[3] - intersection
        return union > 0 ? intersection / union : (a == b ? 1 : 0)
    }
}

/// A field that differs between two versions of an annotation or image: `bbox`,
/// `attributes.occluded`, … with its old and new values (nil where absent).
public struct FieldChange: Sendable, Equatable {
    public var field: String
    public var from: JSONValue?
    public var to: JSONValue?

    public init(field: String, from: JSONValue?, to: JSONValue?) {
        self.field = field
        self.from = from
        self.to = to
    }

    /// Field-by-field differences of two objects; `attributes` is compared attribute by
    /// attribute.
    public static func between(_ old: JSONValue, _ new: JSONValue, ignoring: Set<String> = []) -> [FieldChange] {
        let a = old.objectValue ?? [], b = new.objectValue ?? []
        var keys: [String] = []
        for (key, _) in a + b where !keys.contains(key) && !ignoring.contains(key) { keys.append(key) }
        var changes: [FieldChange] = []
        for key in keys {
            let x = a.first { $0.0 == key }?.1, y = b.first { $0.0 == key }?.1
            if x == y { continue }
            if key == "attributes", let x, let y, x.objectValue != nil, y.objectValue != nil {
                changes += between(x, y).map { FieldChange(field: "attributes.\($0.field)", from: $0.from, to: $0.to) }
            } else {
                changes.append(FieldChange(field: key, from: x, to: y))
            }
        }
        return changes
    }
}
