/// The COCO rules of SPEC §3 that JSON syntax does not cover: unique image ids and keys,
/// annotations that name an existing image and (when the file has categories) an existing
/// category, and image keys that are keys at all (`ImageKey`).
import DSVJSON
import DSVNative
import DSVStorage

enum COCOValidation {
    static func check(_ export: COCOExport) throws(COCOError) {
        guard let imagesMember = export.members.first(where: { $0.kind == .images }) else {
            throw .notCOCO(file: export.name, reason: "no \"images\" array")
        }
        _ = imagesMember
        try parseCategories(export)
        var imageByID = IDIndex(integers: export.images.map { CanonicalInteger.optional($0.id) })
        let bytes = export.imageBytes
        // What depends on one image alone — its key's hash and whether the key is acceptable —
        // on all cores (in chunks small enough to share out a 10k-image export: workers take
        // them as they come, so one that starts late costs nothing); then ids and keys in file
        // order, so that the first problem is reported.
        let keys = export.images.map(\.fileName)
        let keyCount = keys.count
        let keyChunks = min(max(1, keyCount / 2_500), SystemInfo.processorCount * 4)
        let hashSlots = ResultSlots<[Int]>(count: keyChunks)
        let firstProblem = ResultSlots<Int>(count: keyChunks)
        Parallel.forEach(keyChunks, makeState: { () }) { _, chunk in
            let range = keyCount * chunk / keyChunks..<keyCount * (chunk + 1) / keyChunks
            hashSlots[chunk] = range.map { ExactKey(keys[$0]).hashValue }
            firstProblem[chunk] = range.first { ImageKey.problem(keys[$0]) != nil }
        }
        let hashes = (0..<keyChunks).flatMap { hashSlots[$0]! }
        let problemAt = (0..<keyChunks).lazy.compactMap { firstProblem[$0] }.first ?? keyCount
        var unique = UniqueKeys(keys, hashes: hashes)
        for (index, image) in zip(0..., export.images) {
            if !imageByID.insert(image.id, bytes, image.idRange!, Int32(index)) {
                throw .invalid(file: export.name, reason: "duplicate image id \(IDKey(bytes, image.idRange!))")
            }
            if !unique.insert(index) {
                throw .invalid(file: export.name, reason: "duplicate file_name \"\(image.fileName)\"")
            }
            if index == problemAt, let problem = ImageKey.problem(image.fileName) {
                throw .invalid(file: export.name, reason: "image \(IDKey(bytes, image.idRange!)): file_name \"\(image.fileName)\" \(problem)")
            }
        }
        var categoryIDs = IDIndex(integers: export.categories.map { if case .integer(let id) = $0.id { id } else { nil } })
        for (index, category) in export.categories.enumerated() { categoryIDs.insert(category.id, Int32(index)) }
        // Two lookups per annotation, read-only: spread over the cores in contiguous chunks, each
        // keeping its first problem; the problem reported is the first in file order. Each
        // annotation's image and category (an index in `categories`, -1 for none) are kept.
        let annotations = export.annotations
        let count = annotations.count
        let chunks = min(max(1, count / 8_000), SystemInfo.processorCount * 4)
        let images = ResultSlots<[Int32]>(count: chunks)
        let categories = ResultSlots<[Int32]>(count: chunks)
        let problems = ResultSlots<String>(count: chunks)
        let checkCategories = !export.categories.isEmpty
        let (imageTable, categoryTable) = (imageByID, categoryIDs)
        do {
            let shared = SharedBytes(bytes: export.annotationBytes)
            Parallel.forEach(chunks, makeState: { () }) { _, chunk in
                let bytes = shared.bytes
                let range = count * chunk / chunks..<count * (chunk + 1) / chunks
                var owners = [Int32](), named = [Int32]()
                owners.reserveCapacity(range.count)
                named.reserveCapacity(range.count)
                for index in range {
                    let annotation = annotations[index]
                    guard let image = imageTable.value(annotation.imageID, bytes, annotation.imageIDRange) else {
                        problems[chunk] = "annotation \(describe(annotation, bytes, index)) has image_id \(IDKey(bytes, annotation.imageIDRange)), which names no image"
                        return
                    }
                    owners.append(image)
                    var category: Int32 = -1
                    if checkCategories, let categoryRange = annotation.categoryIDRange {
                        guard let found = categoryTable.value(annotation.categoryID, bytes, categoryRange) else {
                            problems[chunk] = "annotation \(describe(annotation, bytes, index)) has category_id \(IDKey(bytes, categoryRange)), which names no category"
                            return
                        }
                        category = found
                    }
                    named.append(category)
                }
                images[chunk] = owners
                categories[chunk] = named
            }
        }
        var annotationImages: [Int32] = [], annotationCategories: [Int32] = []
        annotationImages.reserveCapacity(count)
        annotationCategories.reserveCapacity(count)
        for chunk in 0..<chunks {
            if let problem = problems[chunk] { throw .invalid(file: export.name, reason: problem) }
            annotationImages += images[chunk] ?? []
            annotationCategories += categories[chunk] ?? []
        }
        export.annotationImages = annotationImages
        export.annotationCategories = annotationCategories
    }

    static func describe(_ annotation: AnnotationEntry, _ bytes: UnsafeRawBufferPointer, _ index: Int) -> String {
        if let range = annotation.idRange { return "id \(IDKey(bytes, range))" }
        return "#\(index + 1)"
    }

    static func parseCategories(_ export: COCOExport) throws(COCOError) {
        guard let member = export.members.first(where: { $0.key == "categories" }) else { return }
        let value: JSONValue
        do { value = try JSONValue.parse(UnsafeRawBufferPointer(rebasing: export.fileBytes[member.valueRange])) }
        catch { throw .invalid(file: export.name, reason: "categories: \(error.reason)") }
        guard let items = value.arrayValue else { throw .invalid(file: export.name, reason: "\"categories\" must be an array") }
        var seen: Set<IDKey> = []
        for item in items {
            guard let id = item["id"] else { throw .invalid(file: export.name, reason: "a category has no \"id\"") }
            let key = IDKey(id)
            guard seen.insert(key).inserted else { throw .invalid(file: export.name, reason: "duplicate category id \(key)") }
            let name = item["name"]?.stringValue ?? key.description
            export.categories.append(COCOCategory(id: key, name: name, object: item))
        }
    }
}

/// What an image key (`file_name`) must be to be a key at all: some bytes, none of them NUL
/// (which no S3 listing can return). Any other name is a valid COCO image and is committed as
/// it is — an absolute path or a `..` component as exports made from local folders have them;
/// only placing it as a file (`materialize`, `checkout --images`, the review page's
/// `--images-from`) refuses a name that would land outside its folder (`RelativePath`).
public enum ImageKey {
    /// Why `key` is unacceptable, or nil.
    public static func problem(_ key: String) -> String? {
        if key.isEmpty { return "is empty" }
        var copy = key
        if copy.withUTF8({ $0.contains(0) }) { return "contains a NUL byte" }
        return nil
    }
}

/// Ids to indices (of images, of categories): validation looks up two ids per annotation, a
/// million times per export. Integer ids that are dense — CVAT numbers them from 1 — are found
/// in a plain array indexed by id; sparse ones in a dictionary, and ids that are not whole
/// numbers by their text (`IDKey`).
struct IDIndex: Sendable {
    private var dense: [Int32] = []
    private var base: Int64 = 0
    private var integers: [Int64: Int32] = [:]
    private var others: [IDKey: Int32] = [:]

    /// Ready for the given ids (nil: not a canonical integer); dense when they span at most a
    /// few times their count.
    init(integers ids: [Int64?]) {
        var minimum = Int64.max, maximum = Int64.min, count = 0
        for case let id? in ids {
            minimum = min(minimum, id)
            maximum = max(maximum, id)
            count += 1
        }
        if count > 0, maximum.subtractingReportingOverflow(minimum).overflow == false,
           maximum - minimum < Int64(4 * count + 1024) {
            base = minimum
            dense = [Int32](repeating: -1, count: Int(maximum - minimum) + 1)
        } else {
            integers.reserveCapacity(count)
        }
    }

    /// Inserts the id at `range` (`integer` is its value, or `CanonicalInteger.absent`); false
    /// when it was already there.
    mutating func insert(_ integer: Int64, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ value: Int32) -> Bool {
        if integer != CanonicalInteger.absent { return insert(integer, value) }
        return insert(IDKey(bytes, range), value)
    }

    @discardableResult
    mutating func insert(_ key: IDKey, _ value: Int32) -> Bool {
        switch key {
        case .integer(let integer): insert(integer, value)
        case .text: others.updateValue(value, forKey: key) == nil
        }
    }

    private mutating func insert(_ integer: Int64, _ value: Int32) -> Bool {
        guard !dense.isEmpty, integer >= base, integer - base < Int64(dense.count) else {
            return integers.updateValue(value, forKey: integer) == nil
        }
        let slot = Int(integer - base)
        defer { dense[slot] = value }
        return dense[slot] < 0
    }

    /// The value of the id at `range`, whose integer value (or `CanonicalInteger.absent`) is known.
    @inline(__always)
    func value(_ integer: Int64, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int32? {
        guard integer != CanonicalInteger.absent else {
            // Not canonical: a whole number written otherwise (`7.0`) is found as its value.
            let key = IDKey(bytes, range)
            guard case .integer(let whole) = key else { return others[key] }
            return value(whole, bytes, range)
        }
        guard !dense.isEmpty, integer >= base, integer - base < Int64(dense.count) else { return integers[integer] }
        let value = dense[Int(integer - base)]
        return value < 0 ? nil : value
    }
}
