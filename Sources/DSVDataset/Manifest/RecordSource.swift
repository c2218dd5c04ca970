import DSVNative

/// What the records of one part of a version (one subset's merged exports) are encoded from,
/// fetched out of the plan and its exports once per task. Encoding runs for every image on all
/// cores; reaching each array through the plan and the export objects for every record retained
/// and released a dozen shared arrays per record, and the cores contended for their counters.
struct RecordSource: @unchecked Sendable {
    /// One export's entries and the bytes they index (valid while the plan holds the export).
    struct File {
        let export: COCOExport
        let images: [ImageEntry]
        let annotations: [AnnotationEntry]
        let imageBytes: UnsafeRawBufferPointer
        let annotationBytes: UnsafeRawBufferPointer
        /// Category ids rewritten where categories were merged.
        let remap: [IDKey: [UInt8]]
        /// Per annotation, its tail's digest or `Fingerprint.zero`; or empty.
        let tails: [Fingerprint]
        /// The images' and annotations' bytes are the file's, perhaps spaced
        /// (`COCOExport.imagesAsWritten`, `annotationsAsWritten`).
        let imagesAsWritten: Bool
        let annotationsAsWritten: Bool

        init(_ plan: ExportPlan, file: Int) {
            export = plan.exports[file]
            (images, annotations) = (export.images, export.annotations)
            (imageBytes, annotationBytes) = (export.imageBytes, export.annotationBytes)
            remap = plan.categoryRemap[file]
            tails = export.tailDigests
            (imagesAsWritten, annotationsAsWritten) = (export.imagesAsWritten, export.annotationsAsWritten)
        }
    }

    let files: [File]
    let images: [ExportPlan.Ref]
    let imageStart: [Int32]
    let annotationsOfImage: [ExportPlan.Ref]
    /// The subset's name in records; nil for the default subset.
    let subset: String?

    init(_ part: VersionPlan.Part) {
        files = part.plan.exports.indices.map { File(part.plan, file: $0) }
        (images, imageStart, annotationsOfImage) = (part.plan.images, part.plan.imageStart, part.plan.annotationsOfImage)
        subset = part.subset.isDefault ? nil : part.subset.name
    }

    /// Where a task reads records from: the part and the export of the last record, kept at
    /// hand (records come mostly from the part and file of the one before), so that a record
    /// copies nothing out of the shared arrays.
    struct Cursor {
        private var part = -1
        private var source: RecordSource?
        private var fileIndex = -1
        private var file: File?

        /// The record of image `local` of part `part` to a sink.
        mutating func write(image local: Int, part: Int, of sources: [RecordSource], pin: ObjectPin?,
                            to sink: inout some RecordSink) {
            if part != self.part {
                (self.part, source, fileIndex, file) = (part, sources[part], -1, nil)
            }
            let ref = source!.images[local]
            if Int(ref.file) != fileIndex {
                (fileIndex, file) = (Int(ref.file), source!.files[Int(ref.file)])
            }
            let start = Int(source!.imageStart[local]), end = Int(source!.imageStart[local + 1])
            RecordEncoder.append(file!, index: ref.index, annotations: source!.annotationsOfImage[start..<end], pin: pin,
                                 subset: source!.subset, to: &sink)
        }
    }
}
