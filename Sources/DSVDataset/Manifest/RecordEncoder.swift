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
            appendTemplate(imageBytes, image.range,
                           holes: idLifted ? [(image.idRange!, .id)] : [], substitution: nil, to: &writer)
            appendPin(pin, to: &writer)
            writer.varint(annotations.count)
            export.withAnnotationBytes { bytes in
                for ref in annotations {
                    precondition(ref.file == file)
                    let annotation = export.annotations[Int(ref.index)]
                    var holes: [(Range<Int>, ObjectTemplate.Hole)] = []
                    if let idRange = annotation.idRange, plan.annotationIDs[Int(file)][Int(ref.index)] != nil {
                        holes.append((idRange, .id))
                    }
                    if idLifted && UnsafeRawBufferPointer(rebasing: bytes[annotation.imageIDRange]).elementsEqual(idText) {
                        holes.append((annotation.imageIDRange, .imageID))
                    }
                    var substitution: (Range<Int>, [UInt8])?
                    if let range = annotation.categoryIDRange, !plan.categoryRemap[Int(file)].isEmpty,
                       let replacement = plan.categoryRemap[Int(file)][IDKey(bytes, range)] {
                        substitution = (range, replacement)
                    }
                    appendTemplate(bytes, annotation.range, holes: holes, substitution: substitution, to: &writer)
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

    /// The object at `range` with `holes` cut out and `substitution` (a value replaced by new
    /// text) applied. Ranges are absolute offsets in `bytes`.
    static func appendTemplate(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>,
                               holes: [(Range<Int>, ObjectTemplate.Hole)], substitution: (Range<Int>, [UInt8])?,
                               to writer: inout ByteWriter) {
        if holes.isEmpty && substitution == nil {
            writer.varint(range.count)
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[range]))
            writer.byte(0)
            return
        }
        // Edits in ascending order: (range, replacement bytes, hole kind or nil).
        var edits: [(Range<Int>, [UInt8], ObjectTemplate.Hole?)] = holes.map { ($0.0, [], $0.1) }
        if let substitution { edits.append((substitution.0, substitution.1, nil)) }
        edits.sort { $0.0.lowerBound < $1.0.lowerBound }
        let length = range.count - edits.reduce(0) { $0 + $1.0.count - $1.1.count }
        writer.varint(length)
        var cursor = range.lowerBound
        var written = 0
        var cuts: [ObjectTemplate.Cut] = []
        for (editRange, replacement, hole) in edits {
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<editRange.lowerBound]))
            written += editRange.lowerBound - cursor
            if let hole { cuts.append(ObjectTemplate.Cut(hole: hole, offset: written)) }
            writer.bytes.append(contentsOf: replacement)
            written += replacement.count
            cursor = editRange.upperBound
        }
        writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<range.upperBound]))
        writer.byte(UInt8(cuts.count))
        for cut in cuts {
            writer.byte(cut.hole.rawValue)
            writer.varint(cut.offset)
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
