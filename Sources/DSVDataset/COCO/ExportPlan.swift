import DSVStorage

/// Several exports (one per CVAT job) merged into one version, as indices into their bytes:
/// images by key (an image in two exports must have the same content), categories by name
/// with ids remapped consistently, ids renumbered per file when files collide. Single exports go
/// through the same path with nothing to merge.
///
/// Exports of one overlap group (the jobs of a CVAT task whose segments overlap) share frames,
/// and each job annotates its copy of them: a frame is kept from the group's first export that
/// has it — the job whose range starts first, as CVAT orders segments — and the others' copies
/// are dropped, with their annotations, and counted.
public struct ExportPlan: Sendable {
    public struct Ref: Sendable, Hashable {
        public var file: Int32
        public var index: Int32
    }

    public let exports: [COCOExport]
    /// Images in the version's order.
    public internal(set) var images: [Ref] = []
    /// The image id each image gets (lifted ids only; nil where the id stays in the object).
    public internal(set) var imageIDs: [Int64?] = []
    /// Annotations of each image, in export order: `annotationsOfImage[imageStart[i]..<imageStart[i+1]]`.
    public internal(set) var imageStart: [Int32] = []
    public internal(set) var annotationsOfImage: [Ref] = []
    /// Annotations in the version's order, as (image position, index within that image).
    public internal(set) var annotationOrder: [(image: Int32, within: Int32)] = []
    /// Per file, what its lifted annotation ids are shifted by (past the ids of the files before
    /// it): an annotation's id in the version is its entry's `id` plus its file's shift, when
    /// lifted (not `CanonicalInteger.absent`). A shift per file, not an id per annotation: a
    /// million ids copied and paged in on every commit cost more than adding.
    public internal(set) var annotationIDShifts: [Int64] = []
    /// Per file: category id value → the merged id's text, where it differs.
    public internal(set) var categoryRemap: [[IDKey: [UInt8]]] = []
    /// The merged categories (the first file's, then new names from later files).
    public internal(set) var categories: [COCOCategory] = []

    /// The copies of frames dropped because an earlier export of their overlap group had them.
    public internal(set) var sharedImages = 0
    /// Per export, its overlap group (nil: none).
    let overlapGroups: [Int?]

    public var imageCount: Int { images.count }
    public var annotationCount: Int { annotationOrder.count }

    public init(exports: [COCOExport], overlapGroups: [Int?]? = nil) throws(COCOError) {
        precondition(!exports.isEmpty)
        self.exports = exports
        self.overlapGroups = overlapGroups ?? Array(repeating: nil, count: exports.count)
        mergeCategories()
        try assignIDs()
        try placeImages()
    }

    public func key(of image: Int) -> String {
        let ref = images[image]
        return exports[Int(ref.file)].images[Int(ref.index)].fileName
    }

    /// Every image's key, in order: `key(of:)` for all of them, the exports' arrays taken out
    /// once (read through each export, a class, they cost an access check and a reference
    /// count per image).
    public var keys: [String] {
        let entries = exports.map(\.images)
        return images.map { entries[Int($0.file)][Int($0.index)].fileName }
    }

    // MARK: Categories

    private mutating func mergeCategories() {
        categories = exports[0].categories
        var byName: [String: IDKey] = [:]
        for category in categories where byName[category.name] == nil { byName[category.name] = category.id }
        var nextID = (categories.compactMap { if case .integer(let v) = $0.id { v } else { nil } }.max() ?? 0) + 1
        categoryRemap = [[:]]
        for export in exports.dropFirst() {
            var remap: [IDKey: [UInt8]] = [:]
            for category in export.categories {
                if let existing = byName[category.name] {
                    if existing != category.id { remap[category.id] = Array(existing.description.utf8) }
                    continue
                }
                var id = category.id
                if categories.contains(where: { $0.id == id }) {
                    id = .integer(nextID)
                    nextID += 1
                    remap[category.id] = Array(id.description.utf8)
                } else if case .integer(let v) = id {
                    nextID = max(nextID, v + 1)
                }
                var object = category.object
                if case .object(var members) = object, let slot = members.firstIndex(where: { $0.0 == "id" }) {
                    members[slot].1 = .number(id.description)
                    object = .object(members)
                }
                categories.append(COCOCategory(id: id, name: category.name, object: object))
                byName[category.name] = id
            }
            categoryRemap.append(remap)
        }
    }

    // MARK: Ids

    /// Lifted ids as written; when a later file's ids collide with earlier files', that file's
    /// ids are shifted past them (CVAT numbers every job's export from 1).
    private mutating func assignIDs() throws(COCOError) {
        var usedImageIDs: Set<Int64> = []
        var usedText: Set<String> = []
        var imageIDsByFile: [[Int64?]] = []
        var maxImageID: Int64 = 0
        var maxAnnotationID: Int64 = 0
        for (file, export) in exports.enumerated() {
            var ids = export.images.map { CanonicalInteger.optional($0.id) }
            var annotationShift: Int64 = 0
            let (smallest, largest) = Self.liftedRange(export.annotations)
            if !imageIDsByFile.isEmpty {
                let lifted = ids.compactMap { $0 }
                if lifted.contains(where: usedImageIDs.contains), let minimum = lifted.min() {
                    let shift = maxImageID - minimum + 1
                    ids = ids.map { $0.map { $0 + shift } }
                }
                if let smallest, smallest <= maxAnnotationID { annotationShift = maxAnnotationID - smallest + 1 }
            }
            do {
                let bytes = export.imageBytes
                for (index, id) in ids.enumerated() where id == nil {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[export.images[index].idRange!]), as: UTF8.self)
                    if !usedText.insert(text).inserted {
                        throw .conflict(reason: "image id \(text) appears in more than one export and is not an integer that could be renumbered")
                    }
                }
            }
            // What later exports must not reuse (nothing comes after the last one).
            if file + 1 < exports.count {
                for id in ids.compactMap({ $0 }) {
                    usedImageIDs.insert(id)
                    maxImageID = max(maxImageID, id)
                }
            }
            if let largest { maxAnnotationID = max(maxAnnotationID, largest + annotationShift) }
            imageIDsByFile.append(ids)
            annotationIDShifts.append(annotationShift)
        }
        self.pendingImageIDs = imageIDsByFile
    }

    private var pendingImageIDs: [[Int64?]] = []

    /// The smallest and largest lifted annotation ids, if any.
    private static func liftedRange(_ annotations: [AnnotationEntry]) -> (Int64?, Int64?) {
        var (smallest, largest) = (Int64.max, Int64.min)
        for annotation in annotations where annotation.id != CanonicalInteger.absent {
            (smallest, largest) = (min(smallest, annotation.id), max(largest, annotation.id))
        }
        return largest == Int64.min ? (nil, nil) : (smallest, largest)
    }

    // MARK: Images and annotations

    private mutating func placeImages() throws(COCOError) {
        // Per file: image index → position in the version (or -1 for a duplicate dropped).
        var positions: [[Int32]] = []
        var duplicates: [(file: Int32, index: Int32, position: Int32)] = []
        if exports.count == 1 {
            // One export: its keys are unique (validation checked), nothing to merge.
            let count = Int32(exports[0].images.count)
            images = (0..<count).map { Ref(file: 0, index: $0) }
            imageIDs = pendingImageIDs[0]
            positions = [Array(0..<count)]
        } else {
            var positionOfKey: [ExactKey: Int32] = [:]
            positionOfKey.reserveCapacity(exports.reduce(0) { $0 + $1.images.count })
            for (file, export) in exports.enumerated() {
                var filePositions = [Int32](repeating: -1, count: export.images.count)
                for (index, image) in export.images.enumerated() {
                    if let existing = positionOfKey[ExactKey(image.fileName)] {
                        if let group = overlapGroups[file], overlapGroups[Int(images[Int(existing)].file)] == group {
                            sharedImages += 1
                        } else {
                            duplicates.append((Int32(file), Int32(index), existing))
                        }
                        continue
                    }
                    let position = Int32(images.count)
                    positionOfKey[ExactKey(image.fileName)] = position
                    images.append(Ref(file: Int32(file), index: Int32(index)))
                    imageIDs.append(pendingImageIDs[file][index])
                    filePositions[index] = position
                }
                positions.append(filePositions)
            }
        }
        // Group annotations by image (counting sort), keeping export order within each image.
        var counts = [Int32](repeating: 0, count: images.count + 1)
        for (file, export) in exports.enumerated() {
            let filePositions = positions[file]
            for image in export.annotationImages {
                let position = filePositions[Int(image)]
                if position >= 0 { counts[Int(position) + 1] += 1 }
            }
        }
        for i in 0..<images.count { counts[i + 1] += counts[i] }
        imageStart = counts
        var fill = counts
        annotationsOfImage = [Ref](repeating: Ref(file: 0, index: 0), count: Int(counts[images.count]))
        annotationOrder.reserveCapacity(annotationsOfImage.count)
        for (file, export) in exports.enumerated() {
            let filePositions = positions[file]
            for (index, image) in export.annotationImages.enumerated() {
                let position = filePositions[Int(image)]
                guard position >= 0 else { continue }
                let slot = Int(fill[Int(position)])
                annotationsOfImage[slot] = Ref(file: Int32(file), index: Int32(index))
                annotationOrder.append((position, Int32(slot) - counts[Int(position)]))
                fill[Int(position)] += 1
            }
        }
        try checkDuplicates(duplicates)
    }

    /// An image present in two exports must have the same content there (ids aside).
    private func checkDuplicates(_ duplicates: [(file: Int32, index: Int32, position: Int32)]) throws(COCOError) {
        guard !duplicates.isEmpty else { return }
        for duplicate in duplicates {
            let kept = images[Int(duplicate.position)]
            let first = RecordEncoder.record(self, file: kept.file, index: kept.index,
                                             annotations: annotationsFor(file: kept.file, image: kept.index))
            let second = RecordEncoder.record(self, file: duplicate.file, index: duplicate.index,
                                              annotations: annotationsFor(file: duplicate.file, image: duplicate.index))
            if first.image.bytes != second.image.bytes || first.annotations.map(\.bytes) != second.annotations.map(\.bytes) {
                throw .conflict(reason: "image \"\(first.key)\" is in \(exports[Int(kept.file)].name) and \(exports[Int(duplicate.file)].name) with different content")
            }
        }
    }

    private func annotationsFor(file: Int32, image: Int32) -> [Ref] {
        exports[Int(file)].annotationImages.enumerated().filter { $0.element == image }
            .map { Ref(file: file, index: Int32($0.offset)) }
    }
}
