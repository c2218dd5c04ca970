import DSVNative
/// Writes image records into a shard's bytes straight from the exports' buffers: no record is
/// built as an intermediate value, so a commit's memory stays near the export's size.
///
/// Record layout (format 1): key, image template, a flags byte, the pin when flagged, the
/// subset when flagged, annotation count, annotation templates. A template is its bytes
/// (length-prefixed), a cut count, and per cut the hole kind and offset. A record of the default
/// subset has no subset field, so versions without subsets keep the bytes they always had.
enum RecordEncoder {
    static let pinPresent: UInt8 = 1
    static let subsetPresent: UInt8 = 2

    /// Sends the record of image `index` of file `file` with the given annotations to a sink:
    /// every decision about the record (its holes, its substitutions) is taken here, once, for
    /// both the stored bytes and the fingerprint.
    static func append(_ plan: ExportPlan, file: Int32, index: Int32, annotations: ArraySlice<ExportPlan.Ref>,
                       pin: ObjectPin?, subset: String?, to writer: inout some RecordSink) {
        let export = plan.exports[Int(file)]
        let image = export.images[Int(index)]
        writer.key(image.fileName)
        export.withImageBytes { imageBytes in
            let idLifted = image.id != CanonicalInteger.absent
            let idText = UnsafeRawBufferPointer(rebasing: imageBytes[image.idRange!])
            var edits = TemplateEdits()
            if idLifted { edits.add(image.idRange!, hole: .id) }
            writer.template(imageBytes, image.range, edits: edits)
            writer.pinAndSubset(pin, subset)
            writer.count(annotations.count)
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
                    writer.template(bytes, annotation.range, edits: edits)
                }
            }
        }
    }

    static func appendPinAndSubset(_ pin: ObjectPin?, _ subset: String?, to writer: inout ByteWriter) {
        writer.byte((pin == nil ? 0 : pinPresent) | (subset == nil ? 0 : subsetPresent))
        if let pin {
            writer.string(pin.etag)
            writer.varint(UInt64(pin.size))
            writer.string(pin.versionID ?? "")
            writer.string(pin.lastModified)
        }
        if let subset { writer.string(subset) }
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
        if edits.substitution == nil {
            appendCutting(bytes, range, edits.holes.0!, edits.holes.1, to: &writer)
            return
        }
        // Rare (merged exports with remapped categories): a substitution among the holes.
        var pieces: [(range: Range<Int>, replacement: [UInt8], hole: ObjectTemplate.Hole?)] = [(edits.substitution!.0, edits.substitution!.1, nil)]
        if let hole = edits.holes.0 { pieces.append((hole.0, [], hole.1)) }
        if let hole = edits.holes.1 { pieces.append((hole.0, [], hole.1)) }
        pieces.sort { $0.range.lowerBound < $1.range.lowerBound }
        writer.varint(range.count - pieces.reduce(0) { $0 + $1.range.count - $1.replacement.count })
        var cursor = range.lowerBound, written = 0
        var cuts: [(ObjectTemplate.Hole, Int)] = []
        for piece in pieces {
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<piece.range.lowerBound]))
            written += piece.range.lowerBound - cursor
            if let hole = piece.hole { cuts.append((hole, written)) }
            writer.bytes.append(contentsOf: piece.replacement)
            written += piece.replacement.count
            cursor = piece.range.upperBound
        }
        writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<range.upperBound]))
        writer.byte(UInt8(cuts.count))
        for (hole, offset) in cuts {
            writer.byte(hole.rawValue)
            writer.varint(offset)
        }
    }

    /// The common case, once per annotation: one or two holes and nothing else, no allocation.
    @inline(__always)
    static func appendCutting(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>,
                              _ first: (Range<Int>, ObjectTemplate.Hole), _ second: (Range<Int>, ObjectTemplate.Hole)?,
                              to writer: inout ByteWriter) {
        var a = first, b = second
        if let other = b, other.0.lowerBound < a.0.lowerBound { b = a; a = other }
        writer.varint(range.count - a.0.count - (b?.0.count ?? 0))
        writer.raw(UnsafeRawBufferPointer(rebasing: bytes[range.lowerBound..<a.0.lowerBound]))
        let firstOffset = a.0.lowerBound - range.lowerBound
        var cursor = a.0.upperBound
        var secondOffset = 0
        if let b {
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<b.0.lowerBound]))
            secondOffset = firstOffset + (b.0.lowerBound - cursor)
            cursor = b.0.upperBound
        }
        writer.raw(UnsafeRawBufferPointer(rebasing: bytes[cursor..<range.upperBound]))
        writer.byte(b == nil ? 1 : 2)
        writer.byte(a.1.rawValue)
        writer.varint(firstOffset)
        if let b {
            writer.byte(b.1.rawValue)
            writer.varint(secondOffset)
        }
    }

    /// One image's record as a value (for merging checks and tests).
    static func record(_ plan: ExportPlan, file: Int32, index: Int32, annotations: [ExportPlan.Ref]) -> ImageRecord {
        var writer = ByteWriter()
        append(plan, file: file, index: index, annotations: annotations[...], pin: nil, subset: nil, to: &writer)
        var reader = ByteReader(writer.bytes)
        return try! ShardCodec.decodeRecord(&reader)
    }
}

/// The edits of one object: at most two holes (its id, its image_id) and one substitution (a
/// remapped category_id). Kept inline without allocating: this runs once per annotation.
struct TemplateEdits {
    private(set) var holes: ((Range<Int>, ObjectTemplate.Hole)?, (Range<Int>, ObjectTemplate.Hole)?) = (nil, nil)
    private(set) var substitution: (Range<Int>, [UInt8])?

    var count: Int { (holes.0 == nil ? 0 : 1) + (holes.1 == nil ? 0 : 1) + (substitution == nil ? 0 : 1) }

    mutating func add(_ range: Range<Int>, hole: ObjectTemplate.Hole) {
        if holes.0 == nil { holes.0 = (range, hole) } else { holes.1 = (range, hole) }
    }

    mutating func add(_ range: Range<Int>, replacement: [UInt8]) { substitution = (range, replacement) }
}
