import DSVNative
import DSVStorage

/// A version's shards decoded once for any number of subset checkouts, with where each
/// manifest ordinal lies.
struct CheckoutShards: @unchecked Sendable {
    let views: [ShardView]
    /// Ordinal → (shard, record).
    let location: [(shard: Int32, record: Int32)]

    /// Built on all cores: a view's record count is a read of memory long out of the cache
    /// (88 ms for 468k views on one core).
    init(views: [ShardView]) {
        self.views = views
        let counts = Parallel.map(views.count) { views[$0].count }
        var offsets = [Int](repeating: 0, count: views.count + 1)
        for (shard, count) in counts.enumerated() { offsets[shard + 1] = offsets[shard] + count }
        let starts = offsets, total = offsets[views.count]
        location = [(shard: Int32, record: Int32)](unsafeUninitializedCapacity: total) { buffer, initialized in
            let output = Parallel.SharedBuffer(base: buffer.baseAddress)
            Parallel.forEachChunk(views.count, chunk: 4_096, makeState: { () }) { _, shards in
                for shard in shards {
                    for record in 0..<counts[shard] { (output.base! + starts[shard] + record).initialize(to: (Int32(shard), Int32(record))) }
                }
            }
            initialized = total
        }
    }
}

/// A checkout laid out: where every piece of the output goes.
struct CheckoutDocument: @unchecked Sendable {
    let views: [ShardView]
    let order: OrderStream
    let header: [UInt8]
    let members: HeaderLayout
    /// Ordinal → (shard, record).
    let location: [(shard: Int32, record: Int32)]
    /// The lifted id of each image, by export position.
    let imageIDs: [Int64?]
    /// Each image object's length in the output, by export position.
    let imageLengths: [Int]
    /// Output offset of each image object, and of each annotation run; the first lifted
    /// annotation id of each run.
    var imageOffsets: [Int] = []
    var runOffsets: [Int] = []
    var runLifted: [Int] = []
    /// Output offset of each header member's key, and the range of its value.
    var keyOffsets: [Int] = []
    var valueRanges: [Range<Int>] = []
    var size = 0

    /// - Parameter subset: the subset whose order stream this is; every image it lists must be
    ///   one of that subset's records.
    init(shards: CheckoutShards, order: OrderStream, header: [UInt8], subset: String) throws(CheckoutError) {
        let (views, location) = (shards.views, shards.location)
        self.views = views
        self.order = order
        self.header = header
        members = try HeaderLayout(header)
        let stored = subset == Subset.defaultName ? nil : subset
        // One pass on all cores reads each image's record, memory long out of the cache by
        // now: whether it is the subset's, its template's length and whether its id was
        // lifted (`length << 1 | lifted`, -1 for a record not the subset's). The lifted ids
        // are then dealt out in order.
        let ordinals = order.ordinals
        let measured = Parallel.map(ordinals.count) { position -> Int in
            let ordinal = Int(ordinals[position])
            guard ordinal >= 0 && ordinal < location.count else { return -1 }
            let (shard, record) = location[ordinal]
            let view = views[Int(shard)]
            guard view.storedSubset(Int(record)) == stored else { return -1 }
            let template = view.image(Int(record))
            return Int(template.length) << 1 | (template.idOffset >= 0 ? 1 : 0)
        }
        guard ordinals.count <= location.count, !measured.contains(-1) else {
            throw .repository(.corruptVersion("the order stream of subset \(subset) and the shards disagree"))
        }
        self.location = location
        var imageIDs = [Int64?](repeating: nil, count: location.count)
        var imageLengths = [Int](repeating: 0, count: ordinals.count)
        var lifted = 0
        for (position, measure) in measured.enumerated() {
            imageLengths[position] = measure >> 1
            guard measure & 1 == 1 else { continue }
            guard lifted < order.imageIDs.count else { throw .repository(.corruptVersion("missing image ids")) }
            let id = order.imageIDs[lifted]
            imageIDs[position] = id
            imageLengths[position] += Decimal.digits(id)
            lifted += 1
        }
        self.imageLengths = imageLengths
        self.imageIDs = imageIDs
        try layOut()
    }

    /// Computes every offset and the file's size, checking the runs against the shards.
    private mutating func layOut() throws(CheckoutError) {
        var offset = members.leading.count + 1
        for (index, member) in members.members.enumerated() {
            if index > 0 { offset += 1 }
            keyOffsets.append(offset)
            offset += member.key.count + 1
            let valueStart = offset
            switch member.name {
            case "images":
                offset += 1
                imageOffsets = Self.offsets(from: offset, lengths: imageLengths)
                if let last = imageOffsets.last { offset = last + imageLengths[imageLengths.count - 1] }
                offset += 1
            case "annotations":
                offset += 1
                let runs = try runLayout()
                runLifted = runs.lifted
                runOffsets = Self.offsets(from: offset, lengths: runs.lengths)
                if let last = runOffsets.last { offset = last + runs.lengths[runs.lengths.count - 1] }
                offset += 1
            default:
                offset += member.value.count
            }
            valueRanges.append(valueStart..<offset)
        }
        size = offset + 1 + members.trailing.count
    }

    /// Each annotation run's length in the output (its annotations with the commas between
    /// them) and the index of its first lifted id, after checking it against its record. The
    /// runs are measured on all cores without their lifted ids, whose digits are added after;
    /// a run of all its record's annotations (as most are) from the measures its shard took
    /// while decoded, without reading its templates again long after they left the cache.
    func runLayout() throws(CheckoutError) -> (lengths: [Int], lifted: [Int]) {
        struct Measure { var length: Int; var lifted: Int; var valid: Bool }
        let document = self
        let measures = Parallel.map(order.runs.count) { index in
            let run = document.order.runs[index]
            guard run.image >= 0, Int(run.image) < document.order.ordinals.count, run.start >= 0, run.length > 0 else {
                return Measure(length: 0, lifted: 0, valid: false)
            }
            let (shard, record) = document.location[Int(document.order.ordinals[Int(run.image)])]
            let view = document.views[Int(shard)]
            let entry = view.entry(Int(record))
            let base = Int(entry.annotations.lowerBound)
            guard base + Int(run.start + run.length) <= Int(entry.annotations.upperBound) else {
                return Measure(length: 0, lifted: 0, valid: false)
            }
            let imageID = document.imageIDs[Int(run.image)]
            var measure = Measure(length: Int(run.length) - 1, lifted: 0, valid: true)
            if run.start == 0 && Int(run.length) == entry.annotations.count {
                measure.length += Int(entry.annotationBytes)
                if let imageID { measure.length += Int(entry.imageIDHoles) * Decimal.digits(imageID) }
                measure.lifted = Int(entry.liftedIDs)
                return measure
            }
            for template in view.annotations[base + Int(run.start)..<base + Int(run.start + run.length)] {
                measure.length += Self.length(template, id: nil, imageID: imageID)
                if template.idOffset >= 0 { measure.lifted += 1 }
            }
            return measure
        }
        var lengths = [Int](), lifted = [Int]()
        lengths.reserveCapacity(measures.count)
        lifted.reserveCapacity(measures.count)
        var next = 0
        for measure in measures {
            guard measure.valid else { throw .repository(.corruptVersion("bad annotation run")) }
            lifted.append(next)
            next += measure.lifted
            guard next <= order.annotationIDs.count else { throw .repository(.corruptVersion("missing annotation ids")) }
            var length = measure.length
            for id in order.annotationIDs[next - measure.lifted..<next] { length += Decimal.digits(id) }
            lengths.append(length)
        }
        return (lengths, lifted)
    }

    /// Where each of a sequence of comma-separated items starts, the first at `start`.
    static func offsets(from start: Int, lengths: [Int]) -> [Int] {
        var offsets = [Int](repeating: 0, count: lengths.count)
        var offset = start
        for (index, length) in lengths.enumerated() {
            if index > 0 { offset += 1 }
            offsets[index] = offset
            offset += length
        }
        return offsets
    }

    static func length(_ template: TemplateRef, id: Int64?, imageID: Int64?) -> Int {
        var length = Int(template.length)
        if template.idOffset >= 0, let id { length += Decimal.digits(id) }
        if template.imageIDOffset >= 0, let imageID { length += Decimal.digits(imageID) }
        return length
    }

    /// A stretch of the output that one worker renders and writes: part of the skeleton (the
    /// header's members, brackets and commas), or consecutive images or annotation runs.
    enum Segment {
        case skeleton(Range<Int>)
        case images(Range<Int>, bytes: Range<Int>)
        case runs(Range<Int>, bytes: Range<Int>)

        var bytes: Range<Int> {
            switch self {
            case .skeleton(let bytes), .images(_, let bytes), .runs(_, let bytes): bytes
            }
        }
    }

    /// Output bytes a segment of images or runs holds, about: small enough that a worker's
    /// buffer stays in cache, large enough that a `pwrite` costs nothing beside it.
    static let segmentBytes = 1 << 20

    /// The output cut into segments, in order, covering every byte once.
    func segments() -> [Segment] {
        var bodies: [(range: Range<Int>, segments: [Segment])] = []
        for (index, member) in members.members.enumerated() where member.name == "images" || member.name == "annotations" {
            let body = valueRanges[index].lowerBound + 1..<valueRanges[index].upperBound - 1
            let isImages = member.name == "images"
            let offsets = isImages ? imageOffsets : runOffsets
            // Item i's stretch starts at the comma before it (at the body's start for the first).
            func start(_ item: Int) -> Int { item == 0 ? body.lowerBound : item == offsets.count ? body.upperBound : offsets[item] - 1 }
            let count = offsets.count
            let pieces = count == 0 ? 0 : min(count, max(SystemInfo.processorCount * 4, body.count / Self.segmentBytes + 1))
            var parts: [Segment] = []
            for piece in 0..<pieces {
                let items = count * piece / pieces..<count * (piece + 1) / pieces
                let bytes = start(items.lowerBound)..<start(items.upperBound)
                parts.append(isImages ? .images(items, bytes: bytes) : .runs(items, bytes: bytes))
            }
            bodies.append((body, parts))
        }
        bodies.sort { $0.range.lowerBound < $1.range.lowerBound }
        var segments: [Segment] = []
        var cursor = 0
        for body in bodies {
            if cursor < body.range.lowerBound { segments.append(.skeleton(cursor..<body.range.lowerBound)) }
            segments += body.segments
            cursor = body.range.upperBound
        }
        if cursor < size { segments.append(.skeleton(cursor..<size)) }
        return segments
    }

    /// Renders the output in segments on all cores, each into a buffer of its worker's and
    /// written at its offset; `file.commit()` reports a failed write.
    func render(to file: ParallelOutputFile) {
        let segments = segments()
        let document = self
        Parallel.forEach(segments.count, makeState: { file.makeWriter() }) { writer, index in
            let segment = segments[index]
            let window = writer.window(for: segment.bytes)
            switch segment {
            case .skeleton: document.renderSkeleton(into: window)
            case .images(let items, _): for position in items { document.renderImage(position, into: window) }
            case .runs(let items, _): for run in items { document.renderRun(run, into: window) }
            }
            writer.write(window)
        }
    }

    /// Everything but the images and annotations that falls in `window`: the header's members,
    /// the brackets of the two arrays, the braces, colons and commas.
    func renderSkeleton(into window: OutputWindow) {
        func put(_ bytes: ArraySlice<UInt8>, at offset: Int) {
            bytes.withUnsafeBytes { window.clipped($0, at: offset) }
        }
        func put(_ byte: UInt8, at offset: Int) {
            if window.range.contains(offset) { window.store(byte, at: offset) }
        }
        put(header[members.leading], at: 0)
        put(UInt8(ascii: "{"), at: members.leading.count)
        for (index, member) in members.members.enumerated() {
            if index > 0 { put(UInt8(ascii: ","), at: keyOffsets[index] - 1) }
            put(header[member.key], at: keyOffsets[index])
            put(UInt8(ascii: ":"), at: keyOffsets[index] + member.key.count)
            let value = valueRanges[index]
            if member.name == "images" || member.name == "annotations" {
                put(UInt8(ascii: "["), at: value.lowerBound)
                put(UInt8(ascii: "]"), at: value.upperBound - 1)
            } else {
                put(header[member.value], at: value.lowerBound)
            }
        }
        put(UInt8(ascii: "}"), at: size - members.trailing.count - 1)
        put(header[members.trailing], at: size - members.trailing.count)
    }

    func renderImage(_ position: Int, into output: OutputWindow) {
        let (shard, record) = location[Int(order.ordinals[position])]
        let view = views[Int(shard)]
        var offset = imageOffsets[position]
        if position > 0 { output.store(UInt8(ascii: ","), at: offset - 1) }
        view.image(Int(record)).fill(view.bytes, id: imageIDs[position], imageID: nil, at: output, offset: &offset)
    }

    func renderRun(_ index: Int, into output: OutputWindow) {
        let run = order.runs[index]
        let (shard, record) = location[Int(order.ordinals[Int(run.image)])]
        let view = views[Int(shard)]
        let base = view.annotationRange(Int(record)).lowerBound
        var offset = runOffsets[index]
        var lifted = runLifted[index]
        let bytes = view.bytes
        for within in Int(run.start)..<Int(run.start + run.length) {
            if !(index == 0 && within == Int(run.start)) {
                output.store(UInt8(ascii: ","), at: offset - 1)
            }
            let template = view.annotations[base + within]
            var id: Int64?
            if template.idOffset >= 0 {
                id = order.annotationIDs[lifted]
                lifted += 1
            }
            template.fill(bytes, id: id, imageID: imageIDs[Int(run.image)], at: output, offset: &offset)
            offset += 1
        }
    }
}
