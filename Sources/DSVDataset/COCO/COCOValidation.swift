/// The COCO rules of SPEC §3 that JSON syntax does not cover: unique image ids and keys,
/// annotations that name an existing image and (when the file has categories) an existing
/// category, and image keys that stay inside a folder.
enum COCOValidation {
    static func check(_ export: COCOExport) throws(COCOError) {
        guard let imagesMember = export.members.first(where: { $0.kind == .images }) else {
            throw .notCOCO(file: export.name, reason: "no \"images\" array")
        }
        _ = imagesMember
        try parseCategories(export)
        var imageByID: [IDKey: Int32] = [:]
        imageByID.reserveCapacity(export.images.count)
        var keys: Set<String> = []
        keys.reserveCapacity(export.images.count)
        try export.withImageBytes { (bytes) throws(COCOError) in
            for (index, image) in export.images.enumerated() {
                let id = IDKey(bytes, image.idRange!)
                if imageByID.updateValue(Int32(index), forKey: id) != nil {
                    throw .invalid(file: export.name, reason: "duplicate image id \(id)")
                }
                if !keys.insert(image.fileName).inserted {
                    throw .invalid(file: export.name, reason: "duplicate file_name \"\(image.fileName)\"")
                }
                if let problem = ImageKey.problem(image.fileName) {
                    throw .invalid(file: export.name, reason: "image \(id): file_name \"\(image.fileName)\" \(problem)")
                }
            }
        }
        let categoryIDs = Set(export.categories.map(\.id))
        var annotationImages = [Int32](repeating: 0, count: export.annotations.count)
        try export.withAnnotationBytes { (bytes) throws(COCOError) in
            for (index, annotation) in export.annotations.enumerated() {
                let imageID = IDKey(bytes, annotation.imageIDRange)
                guard let image = imageByID[imageID] else {
                    throw .invalid(file: export.name, reason: "annotation \(describe(annotation, bytes, index)) has image_id \(imageID), which names no image")
                }
                annotationImages[index] = image
                if !categoryIDs.isEmpty, let range = annotation.categoryIDRange {
                    let category = IDKey(bytes, range)
                    if !categoryIDs.contains(category) {
                        throw .invalid(file: export.name, reason: "annotation \(describe(annotation, bytes, index)) has category_id \(category), which names no category")
                    }
                }
            }
        }
        export.annotationImages = annotationImages
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

/// Image keys (`file_name`s) must name a file inside the images folder: materialize writes
/// `DIR/<file_name>`, so an absolute path or a `..` component would escape it.
public enum ImageKey {
    /// Why `key` is unacceptable, or nil.
    public static func problem(_ key: String) -> String? {
        if key.isEmpty { return "is empty" }
        if key.hasPrefix("/") { return "is an absolute path" }
        if key.utf8.contains(0) { return "contains a NUL byte" }
        if key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." }) {
            return "has a '..' component and would land outside the images folder"
        }
        return nil
    }
}
