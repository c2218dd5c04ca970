/// Writes image records into a shard's bytes straight from the exports' buffers: no record is
/// built as an intermediate value, so a commit's memory stays near the export's size.
///
/// Record layout (format 1): key, image template, pin, annotation count, annotation templates.
/// A template is its bytes (length-prefixed), a cut count, and per cut the hole kind and offset.
enum RecordEncoder {
    static let pinAbsent: UInt8 = 0
    static let pinPresent: UInt8 = 1

    /// Appends the record of image `index` of file `file` with the given annotations.
    static func append(_ plan: ExportPlan, file: Int32, index: Int32, annotations: ArraySlice<ExportPlan.Ref>,
                       pin: ObjectPin?, to writer: inout ByteWriter) {
        let export = plan.exports[Int(file)]
        let image = export.images[Int(index)]
        writer.string(image.fileName)
        export.withImageBytes { imageBytes in
            let idLifted = CanonicalInteger.parse(imageBytes, image.idRange!) != nil
            let idText = UnsafeRawBufferPointer(rebasing: imageBytes[image.idRange!])
            var edits = TemplateEdits()
            if idLifted { edits.add(image.idRange!, hole: .id) }
            appendTemplate(imageBytes, image.range, edits: edits, to: &writer)
            appendPin(pin, to: &writer)
            writer.varint(annotations.count)
            export.withAnnotationBytes { bytes in
                let remap = plan.categoryRemap[Int(file)]
                let liftedIDs = plan.annotationIDs[Int(file)]
                for ref in annotations {
                    let annotation = export.annotations[Int(ref.index)]
                    var edits = TemplateEdits()
                    if let idRange = annotation.idRange, liftedIDs[Int(ref.index)] != nil {
                        edits.add(idRange, hole: .id)
                    }
                    if idLifted && UnsafeRawBufferPointer(rebasing: bytes[annotation.imageIDRange]).elementsEqual(idText) {
                        edits.add(annotation.imageIDRange, hole: .imageID)
                    }
                    if !remap.isEmpty, let range = annotation.categoryIDRange, let replacement = remap[IDKey(bytes, range)] {
                        edits.add(range, replacement: replacement)
                    }
                    appendTemplate(bytes, annotation.range, edits: edits, to: &writer)
                }
            }
        }
    }

    static func appendPin(_ pin: ObjectPin?, to writer: inout ByteWriter) {
        guard let pin else { writer.byte(pinAbsent); return }
        writer.byte(pinPresent)
        writer.string(pin.etag)
        writer.varint(UInt64(pin.size))
        writer.string(pin.versionID ?? "")
        writer.string(pin.lastModified)
    }

    /// The object at `range` with the edits applied: holes cut out (their offsets recorded) and
    /// substitutions written in. Ranges are absolute offsets in `bytes`.
    static func appendTemplate(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits,
                               to writer: inout ByteWriter) {
        if edits.count == 0 {
            writer.varint(range.count)
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[range]))
            writer.byte(0)
            return
        }
        let sorted = edits.sorted()
        var length = range.count
        for edit in sorted { length -= edit.range.count - edit.replacement.count }
        writer.varint(length)
        var cursor = range.lowerBound
        var written = 0
        var cuts: [(ObjectTemplate.Hole, Int)] = []
        for edit in sorted {
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<edit.range.lowerBound]))
            written += edit.range.lowerBound - cursor
            if let hole = edit.hole { cuts.append((hole, written)) }
            writer.bytes.append(contentsOf: edit.replacement)
            written += edit.replacement.count
            cursor = edit.range.upperBound
        }
        writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<range.upperBound]))
        writer.byte(UInt8(cuts.count))
        for (hole, offset) in cuts {
            writer.byte(hole.rawValue)
            writer.varint(offset)
        }
    }

    /// One image's record as a value (for merging checks and tests).
    static func record(_ plan: ExportPlan, file: Int32, index: Int32, annotations: [ExportPlan.Ref]) -> ImageRecord {
        var writer = ByteWriter()
        append(plan, file: file, index: index, annotations: annotations[...], pin: nil, to: &writer)
        var reader = ByteReader(writer.bytes)
        return try! ShardCodec.decodeRecord(&reader)
    }
}

/// At most three edits of one object (its id, its image_id, its category_id), kept without
/// allocating: this runs once per annotation.
struct TemplateEdits {
    struct Edit {
        var range: Range<Int>
        var replacement: [UInt8]
        var hole: ObjectTemplate.Hole?
    }

    private(set) var count = 0
    private var first: Edit?
    private var second: Edit?
    private var third: Edit?

    mutating func add(_ range: Range<Int>, hole: ObjectTemplate.Hole) { append(Edit(range: range, replacement: [], hole: hole)) }

    mutating func add(_ range: Range<Int>, replacement: [UInt8]) { append(Edit(range: range, replacement: replacement, hole: nil)) }

    private mutating func append(_ edit: Edit) {
        switch count {
        case 0: first = edit
        case 1: second = edit
        default: third = edit
        }
        count += 1
    }

    func sorted() -> [Edit] {
        [first, second, third].compactMap { $0 }.sorted { $0.range.lowerBound < $1.range.lowerBound }
    }
}
