import DSVJSON
import DSVNative
import DSVStorage

/// How the two records of one image are compared (`Matching`): read in place by the
/// comparison's workers, the templates both sides share byte for byte taken out first, the rest
/// paired as multisets — pairwise for a few, through a dictionary for many.
extension VersionDiff {
    /// A version's records, read in place by the workers of one comparison (the array outlives it).
    struct RecordsInPlace: @unchecked Sendable {
        let base: UnsafePointer<ImageRecord>?
        init(_ buffer: UnsafeBufferPointer<ImageRecord>) { base = buffer.baseAddress }
        subscript(position: Int?) -> UnsafePointer<ImageRecord>? { position.map { base! + $0 } }
    }

    /// How one image's two records compare: what `compare` does for each key. A class: the
    /// workers of a comparison share one, where a struct's tables were copied (their references
    /// counted, by both cores) into the closure comparing each pair of shards.
    final class Matching: Sendable {
        /// Each subset's table, by subset name, held unretained: `tables` keeps them. Looked up
        /// for every image on both cores, a retained table was a count both cores wrote.
        let oldNames: [String: Unmanaged<CategoryTable>]
        let newNames: [String: Unmanaged<CategoryTable>]
        let tables: [CategoryTable]
        let sameCategories: [String: Bool]
        let compareEqualRecords: Bool

        init(_ oldCategories: CategoryNames, _ newCategories: CategoryNames, compareEqualRecords: Bool) {
            let oldNames = oldCategories.mapValues { Dictionary($0) { a, _ in a } }
            let newNames = newCategories.mapValues { Dictionary($0) { a, _ in a } }
            // Whether a category id names the same category in an old and a new subset, by
            // pair: then equal bytes are equal content.
            var sameCategories: [String: Bool] = [:]
            if !compareEqualRecords {
                for old in oldNames.keys {
                    for new in newNames.keys { sameCategories[old + "\u{0}" + new] = oldNames[old] == newNames[new] }
                }
            }
            let oldTables = oldNames.mapValues(CategoryTable.init), newTables = newNames.mapValues(CategoryTable.init)
            tables = Array(oldTables.values) + Array(newTables.values)
            self.oldNames = oldTables.mapValues { Unmanaged.passUnretained($0) }
            self.newNames = newTables.mapValues { Unmanaged.passUnretained($0) }
            self.sameCategories = sameCategories
            self.compareEqualRecords = compareEqualRecords
        }

        /// The change of the image whose records are `a` (old) and `b` (new), nil where a
        /// version has none, or nil when it did not change.
        func change(from a: ImageRecord?, to b: ImageRecord?) -> ImageChange? {
            switch (a, b) {
            case let (a?, b?):
                withUnsafePointer(to: a) { a in withUnsafePointer(to: b) { b in change(key: b.pointee.key, from: a, to: b) } }
            case let (a?, nil): withUnsafePointer(to: a) { change(key: a.key, from: $0, to: nil) }
            case let (nil, b?): withUnsafePointer(to: b) { change(key: b.key, from: nil, to: $0) }
            case (nil, nil): nil
            }
        }

        /// The change of the image `key`, or nil when it did not change; its records are read in
        /// place (nil where the version has no such image).
        func change(key: String, from a: UnsafePointer<ImageRecord>?, to b: UnsafePointer<ImageRecord>?) -> ImageChange? {
            if let a, let b {
                if a.pointee == b.pointee && !compareEqualRecords { return nil }
            } else if a == nil && b == nil {
                return nil
            }
            var categoriesAgree = false
            if !compareEqualRecords, let a, let b {
                categoriesAgree = sameCategories[a.pointee.subset + "\u{0}" + b.pointee.subset] ?? false
            }
            // The same objects, byte for byte: nothing to match (an image that only moved
            // between subsets or whose S3 object changed).
            let sameObjects = categoriesAgree && a!.pointee.image == b!.pointee.image && a!.pointee.annotations == b!.pointee.annotations
            var changes = AnnotationChanges(from: [], to: [])
            var fields: [FieldChange] = []
            if !sameObjects {
                // Annotations the same byte for byte (most, in an image a round touched) are
                // counted unchanged without being parsed; only the others are compared field
                // by field.
                var (oldTemplates, newTemplates) = (a?.pointee.annotations ?? [], b?.pointee.annotations ?? [])
                let identical = categoriesAgree ? VersionDiff.removeIdentical(&oldTemplates, &newTemplates) : 0
                let oldCategories = a.flatMap { oldNames[$0.pointee.subset] } ?? Unmanaged.passUnretained(CategoryTable.none)
                let newCategories = b.flatMap { newNames[$0.pointee.subset] } ?? Unmanaged.passUnretained(CategoryTable.none)
                changes = oldCategories._withUnsafeGuaranteedRef { oldCategories in
                    newCategories._withUnsafeGuaranteedRef { newCategories in
                        AnnotationChanges(from: DiffAnnotation.all(oldTemplates, categories: oldCategories),
                                          to: DiffAnnotation.all(newTemplates, categories: newCategories))
                    }
                }
                changes.unchanged += identical
                changes.compact()
                if let a, let b, a.pointee.image != b.pointee.image {
                    fields = FieldChange.between(a.pointee.image.filled(id: 0, imageID: nil), b.pointee.image.filled(id: 0, imageID: nil),
                                                 ignoring: ["id"])
                }
            }
            let pinChanged = a != nil && b != nil && a!.pointee.pin != b!.pointee.pin
            let moved = a != nil && b != nil && a!.pointee.subset != b!.pointee.subset
            let status: ImageStatus = a == nil ? .added : b == nil ? .removed : .modified
            if status == .modified && changes.isEmpty && fields.isEmpty && !pinChanged && !moved { return nil }
            let shown = (b ?? a)!
            return ImageChange(key: key, status: status, annotations: changes, fields: fields,
                               pin: pinChanged ? (a!.pointee.pin, b!.pointee.pin) : nil, subsets: (a?.pointee.subset, b?.pointee.subset),
                               shownPin: shown.pointee.pin, shownImage: shown.pointee.image.compacted)
        }
    }

    /// An image object's `width` and `height`, when both are positive numbers.
    static func declaredSize(of image: ObjectTemplate) -> (width: JSONValue, height: JSONValue)? {
        guard let image = try? JSONValue.parse(image.filled(id: 0, imageID: nil)),
              let width = image["width"], let height = image["height"],
              (width.doubleValue ?? 0) > 0, (height.doubleValue ?? 0) > 0 else { return nil }
        return (width, height)
    }

    /// Takes out of both lists the templates they share byte for byte (as multisets, in order),
    /// and returns how many pairs there were.
    static func removeIdentical(_ old: inout [ObjectTemplate], _ new: inout [ObjectTemplate]) -> Int {
        guard !old.isEmpty && !new.isEmpty else { return 0 }
        let (taken, unmatched) = pairEqual(old, new)
        let pairs = new.count - unmatched.count
        guard pairs > 0 else { return 0 }
        old = old.indices.compactMap { taken[$0] ? nil : old[$0] }
        new = unmatched.map { new[$0] }
        return pairs
    }

    /// The pairing of `pairEqual` for few elements, told by `equal(old, new)` of their indices:
    /// each new one takes the first old one equal to it and not yet taken.
    static func pairPairwise(_ oldCount: Int, _ newCount: Int, _ equal: (Int, Int) -> Bool) -> (taken: IndexFlags, unmatched: [Int]) {
        var taken = IndexFlags(count: oldCount)
        var unmatched: [Int] = []
        for new in 0..<newCount {
            if let match = (0..<oldCount).first(where: { !taken[$0] && equal($0, new) }) {
                taken[match] = true
            } else {
                unmatched.append(new)
            }
        }
        return (taken, unmatched)
    }

    /// Up to this many pairs, `pairEqual` compares pairwise.
    static let pairwiseLimit = 256

    /// Equal elements of two lists paired as multisets, in order: each element of `new` takes
    /// the first element of `old` equal to it and not yet taken. Which of `old` were taken, and
    /// the indices of `new` left unpaired. An image's few annotations are compared pairwise in
    /// place, which costs less than hashing them into a dictionary (a tenth of a wide diff's
    /// time); many go through one.
    static func pairEqual<T: Hashable>(_ old: [T], _ new: [T]) -> (taken: IndexFlags, unmatched: [Int]) {
        if old.count * new.count <= pairwiseLimit { return pairPairwise(old.count, new.count) { old[$0] == new[$1] } }
        var taken = IndexFlags(count: old.count)
        var unmatched: [Int] = []
        var pending: [T: [Int]] = [:], next: [T: Int] = [:]
        pending.reserveCapacity(old.count)  // grown step by step, the dictionary was moved a dozen times
        next.reserveCapacity(min(old.count, new.count))
        for (index, element) in old.enumerated() { pending[element, default: []].append(index) }
        for (index, element) in new.enumerated() {
            let candidates = pending[element] ?? [], slot = next[element, default: 0]
            if slot < candidates.count {
                taken[candidates[slot]] = true
                next[element] = slot + 1
            } else {
                unmatched.append(index)
            }
        }
        return (taken, unmatched)
    }
}
