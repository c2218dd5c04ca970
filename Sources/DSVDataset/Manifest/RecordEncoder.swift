import DSVJSON
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

    /// Sends the record of image `index` of `file` with the given annotations to a sink: every
    /// decision about the record (its holes, its substitutions) is taken here, once, for both
    /// the stored bytes and the fingerprint.
    static func append(_ file: borrowing RecordSource.File, index: Int32, annotations refs: ArraySlice<ExportPlan.Ref>,
                       pin: ObjectPin?, subset: String?, to writer: inout some RecordSink) {
        let image = file.images[Int(index)]
        writer.key(image.fileName)
        let idLifted = image.id != CanonicalInteger.absent
        let imageIDRange = image.idRange!
        var edits = TemplateEdits()
        if idLifted { edits.add(imageIDRange, hole: .id) }
        writer.template(file.imageBytes, image.range, edits: edits, tail: nil, asWritten: file.imagesAsWritten)
        writer.pinAndSubset(pin, subset)
        writer.count(refs.count)
        let bytes = file.annotationBytes
        for ref in refs {
            let annotation = file.annotations[Int(ref.index)]
            var edits = TemplateEdits()
            // A lifted id (one the order stream holds) is a canonical integer.
            if let idRange = annotation.idRange, annotation.id != CanonicalInteger.absent {
                edits.add(idRange, hole: .id)
            }
            // Lifted, the image's id is a canonical integer: an image_id with the same text is
            // one with the same value, compared without a byte loop.
            if idLifted && annotation.imageID == image.id {
                edits.add(annotation.imageIDRange, hole: .imageID)
            }
            if !file.remap.isEmpty, let range = annotation.categoryIDRange, let replacement = file.remap[IDKey(bytes, range)] {
                edits.add(range, replacement: replacement)
            }
            let tail = file.tails.isEmpty ? Fingerprint.zero : file.tails[Int(ref.index)]
            writer.template(bytes, annotation.range, edits: edits, tail: tail == .zero ? nil : tail, asWritten: file.annotationsAsWritten)
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
        writer.varint(edits.templateLength(range))
        var written = 0
        var cuts: ((ObjectTemplate.Hole, Int)?, (ObjectTemplate.Hole, Int)?) = (nil, nil)
        edits.walk(range, run: { run in
            writer.raw(UnsafeRawBufferPointer(rebasing: bytes[run]))
            written += run.count
        }, edit: { edit in
            switch edit {
            case .hole(let hole): if cuts.0 == nil { cuts.0 = (hole, written) } else { cuts.1 = (hole, written) }
            case .replacement(let replacement):
                replacement.withUnsafeBytes { writer.raw($0) }
                written += replacement.count
            }
        })
        writer.byte((cuts.0 == nil ? 0 : 1) + (cuts.1 == nil ? 0 : 1))
        func cut(_ hole: ObjectTemplate.Hole, at offset: Int) {
            writer.byte(hole.rawValue)
            writer.varint(offset)
        }
        if let (hole, offset) = cuts.0 { cut(hole, at: offset) }
        if let (hole, offset) = cuts.1 { cut(hole, at: offset) }
    }

    /// One image's record as a value (for merging checks and tests).
    static func record(_ plan: ExportPlan, file: Int32, index: Int32, annotations: [ExportPlan.Ref]) -> ImageRecord {
        var writer = ByteWriter()
        append(RecordSource.File(plan, file: Int(file)), index: index, annotations: annotations[...], pin: nil, subset: nil, to: &writer)
        return writer.bytes.withUnsafeBufferPointer { bytes in
            var reader = ByteReader(bytes)
            return try! ShardCodec.decodeRecord(&reader)
        }
    }
}

/// The edits of one object: at most two holes (its id, its image_id) and one substitution (a
/// remapped category_id). Kept inline without allocating: this runs once per annotation.
struct TemplateEdits {
    private(set) var holes: ((Range<Int>, ObjectTemplate.Hole)?, (Range<Int>, ObjectTemplate.Hole)?) = (nil, nil)
    private(set) var substitution: (Range<Int>, [UInt8])?

    /// An edit, at its place in the object.
    enum Edit {
        case hole(ObjectTemplate.Hole)
        case replacement([UInt8])
    }

    var count: Int { (holes.0 == nil ? 0 : 1) + (holes.1 == nil ? 0 : 1) + (substitution == nil ? 0 : 1) }

    mutating func add(_ range: Range<Int>, hole: ObjectTemplate.Hole) {
        if holes.0 == nil { holes.0 = (range, hole) } else { holes.1 = (range, hole) }
    }

    mutating func add(_ range: Range<Int>, replacement: [UInt8]) { substitution = (range, replacement) }

    /// The template's length: the object's bytes without the holes, with the substitution's.
    func templateLength(_ range: Range<Int>) -> Int {
        range.count - (holes.0?.0.count ?? 0) - (holes.1?.0.count ?? 0)
            - (substitution.map { $0.0.count - $0.1.count } ?? 0)
    }

    /// Calls `body` with the object at `range` minified into temporary memory, and these edits
    /// at their places there: what a compact file holds for an object read as its file wrote it
    /// (`COCOExport.annotationsAsWritten`). The edits lie on numbers, between tokens, where the
    /// minifier may be cut.
    func withMinified<R>(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>,
                         _ body: (UnsafeRawBufferPointer, Range<Int>, TemplateEdits) -> R) -> R {
        // Up to six marks (two per edit), sorted for the minifier, and beside them their places
        // in the file, by which each edit finds its own again. Nothing is allocated: this runs
        // for every image of a spaced round's fingerprints.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 12) { buffer in
            var count = 0
            func mark(_ place: Range<Int>?) {
                guard let place else { return }
                (buffer[count], buffer[count + 1]) = (place.lowerBound, place.upperBound)
                count += 2
            }
            mark(holes.0?.0)
            mark(holes.1?.0)
            mark(substitution?.0)
            var marks = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
            marks.sort()
            let places = UnsafeMutableBufferPointer(rebasing: buffer[6..<6 + count])
            _ = places.update(fromContentsOf: marks)
            return withUnsafeTemporaryAllocation(byteCount: range.count, alignment: 16) { out in
                let written = JSONMinifier.minify(bytes, range, marks: marks, into: out)
                func moved(_ place: Range<Int>) -> Range<Int> {
                    let lower = marks[places.firstIndex(of: place.lowerBound)!]
                    return lower..<lower + place.count
                }
                var edits = TemplateEdits()
                if let (place, hole) = holes.0 { edits.add(moved(place), hole: hole) }
                if let (place, hole) = holes.1 { edits.add(moved(place), hole: hole) }
                if let (place, replacement) = substitution { edits.add(moved(place), replacement: replacement) }
                return body(UnsafeRawBufferPointer(out), 0..<written, edits)
            }
        }
    }

    /// The object at `range` in order: `run` gets each stretch of kept bytes (possibly empty),
    /// `edit` each edit between two of them — the one template layout every sink follows.
    /// Allocation-free unless there is a substitution (merged exports with remapped categories).
    @inline(__always)
    func walk(_ range: Range<Int>, run: (Range<Int>) -> Void, edit: (Edit) -> Void) {
        var cursor = range.lowerBound
        func visit(_ place: Range<Int>, _ change: Edit) {
            run(cursor..<place.lowerBound)
            edit(change)
            cursor = place.upperBound
        }
        if let substitution {
            var edits: [(place: Range<Int>, change: Edit)] = [(substitution.0, .replacement(substitution.1))]
            if let (place, hole) = holes.0 { edits.append((place, .hole(hole))) }
            if let (place, hole) = holes.1 { edits.append((place, .hole(hole))) }
            edits.sort { $0.place.lowerBound < $1.place.lowerBound }
            for (place, change) in edits { visit(place, change) }
        } else {
            var (a, b) = holes
            if let x = a, let y = b, y.0.lowerBound < x.0.lowerBound { (a, b) = (y, x) }
            if let (place, hole) = a { visit(place, .hole(hole)) }
            if let (place, hole) = b { visit(place, .hole(hole)) }
        }
        run(cursor..<range.upperBound)
    }
}
