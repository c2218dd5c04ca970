import DSVNative

/// A shard's bytes: the magic `DSV1S`, the record count, then the records sorted by key
/// (`RecordEncoder` writes them). Decoding validates every length: a corrupt shard is an error.
public enum ShardCodec {
    public static let magic = "DSV1S"

    public struct Corrupt: Error, Sendable {
        /// What is wrong, where it helps a reader more than "unreadable".
        public var reason: String?
        public init(_ reason: String? = nil) { self.reason = reason }
    }

    /// The shard's records as values.
    public static func decode(_ bytes: [UInt8]) throws(Corrupt) -> [ImageRecord] {
        try ShardView(bytes).records
    }

    static func decodeRecord(_ reader: inout ByteReader) throws(Corrupt) -> ImageRecord {
        var scratch = ShardView.Scratch()
        try scratch.readRecord(&reader)
        return ShardView(bytes: reader.bytes, owner: nil, tables: scratch).record(0)
    }
}

/// Where a template lies in its shard's buffer, and its holes: what a checkout needs, without
/// one allocation per object.
public struct TemplateRef: Sendable {
    public var start: Int32
    public var length: Int32
    /// Offsets of the `id` and `image_id` holes relative to `start`, -1 where none.
    public var idOffset: Int32
    public var imageIDOffset: Int32
}

extension TemplateRef {
    /// Writes the object's text with its holes filled at `offset` of the output, advancing
    /// `offset`. The caller has sized the window (see `CheckoutDocument`).
    @inline(__always)
    func fill(_ bytes: UnsafeBufferPointer<UInt8>, id: Int64?, imageID: Int64?, at out: OutputWindow, offset: inout Int) {
        var cursor = Int(start)
        func copy(upTo end: Int) {
            let count = end - cursor
            if count > 0 {
                out.pointer(at: offset).copyMemory(from: bytes.baseAddress! + cursor, byteCount: count)
                offset += count
            }
            cursor = end
        }
        func hole(_ holeOffset: Int32, _ value: Int64?) {
            guard holeOffset >= 0 else { return }
            copy(upTo: Int(start) + Int(holeOffset))
            if let value { offset += Decimal.write(value, to: out.pointer(at: offset)) }
        }
        if imageIDOffset >= 0 && imageIDOffset < idOffset {
            hole(imageIDOffset, imageID)
            hole(idOffset, id)
        } else {
            hole(idOffset, id)
            hole(imageIDOffset, imageID)
        }
        copy(upTo: Int(start) + Int(length))
    }
}

/// A decoded shard as flat tables over its buffer: per record its key, image template, pin and
/// subset, and its annotations' templates. Built once per shard; records are materialized on
/// demand.
///
/// A checkout holds every shard of a version decoded at once (468k of them at 1.18M images), so
/// the tables take as little fresh memory as they can: one entry per record and one template per
/// annotation, each table allocated at its final size, pins and subsets only where a record has
/// one: seven growing arrays per shard took 236 MB more of the 4.4 GB such a checkout touches.
public struct ShardView: @unchecked Sendable {
    /// The decompressed shard, kept alive by `owner` (a `BumpArena` many shards share, or a
    /// copy of its own); read-only.
    public let bytes: UnsafeBufferPointer<UInt8>
    private let owner: AnyObject?
    /// Per record, in key order.
    private let entries: [Entry]
    /// Every record's annotation templates, record after record (`annotationRange`).
    let annotations: [TemplateRef]
    /// Each record's pin; empty where no record has one.
    private let pins: [ObjectPin?]
    /// Each record's subset, nil for the default; empty where every record is the default's.
    private let subsets: [String?]

    /// One record: where its key, encoding and annotations lie, its image template, and what a
    /// checkout's layout needs of its annotations, measured while the shard is in cache.
    struct Entry {
        var key: Range<Int32>
        var encoding: Range<Int32>
        var annotations: Range<Int32>
        var image: TemplateRef
        /// The annotations' template bytes, without their ids.
        var annotationBytes: Int32 = 0
        /// How many of the annotations have a lifted `id`, and how many an `image_id` hole.
        var liftedIDs: Int32 = 0
        var imageIDHoles: Int32 = 0
    }

    /// Growing tables to parse shards into, kept by a worker from shard to shard so that only
    /// the final, exactly sized tables take fresh memory.
    struct Scratch {
        var entries: [Entry] = []
        var annotations: [TemplateRef] = []
        var pins: [ObjectPin?] = []
        var subsets: [String?] = []
        var anyPin = false, anySubset = false

        mutating func clear() {
            entries.removeAll(keepingCapacity: true)
            annotations.removeAll(keepingCapacity: true)
            pins.removeAll(keepingCapacity: true)
            subsets.removeAll(keepingCapacity: true)
            (anyPin, anySubset) = (false, false)
        }

        /// Parses the record at `reader` into the tables.
        mutating func readRecord(_ reader: inout ByteReader) throws(ShardCodec.Corrupt) {
            do {
                let recordStart = Int32(reader.position)
                let key = try reader.dataRange()
                var entry = Entry(key: Int32(key.lowerBound)..<Int32(key.upperBound), encoding: recordStart..<recordStart,
                                  annotations: 0..<0, image: try ShardView.readTemplate(&reader))
                let flags = try reader.byte()
                guard flags & ~(RecordEncoder.pinPresent | RecordEncoder.subsetPresent) == 0 else { throw ShardCodec.Corrupt() }
                if flags & RecordEncoder.pinPresent != 0 {
                    let etag = try reader.string()
                    let size = Int64(try reader.varint())
                    let version = try reader.string()
                    pins.append(ObjectPin(etag: etag, size: size, versionID: version.isEmpty ? nil : version,
                                          lastModified: try reader.string()))
                    anyPin = true
                } else {
                    pins.append(nil)
                }
                if flags & RecordEncoder.subsetPresent != 0 {
                    let subset = try reader.string()
                    guard subset != Subset.defaultName, Subset.problem(subset) == nil else { throw ShardCodec.Corrupt() }
                    subsets.append(subset)
                    anySubset = true
                } else {
                    subsets.append(nil)
                }
                let count = try reader.int()
                let first = Int32(annotations.count)
                for _ in 0..<count {
                    let template = try ShardView.readTemplate(&reader)
                    entry.annotationBytes += template.length
                    if template.idOffset >= 0 { entry.liftedIDs += 1 }
                    if template.imageIDOffset >= 0 { entry.imageIDHoles += 1 }
                    annotations.append(template)
                }
                entry.annotations = first..<Int32(annotations.count)
                entry.encoding = recordStart..<Int32(reader.position)
                entries.append(entry)
            } catch { throw ShardCodec.Corrupt() }
        }
    }

    public var count: Int { entries.count }

    /// The subset of a record.
    public func subset(_ record: Int) -> String { storedSubset(record) ?? Subset.defaultName }

    /// The subset of a record as stored: nil for the default subset.
    func storedSubset(_ record: Int) -> String? { subsets.isEmpty ? nil : subsets[record] }

    /// The S3 object a record pins, if any.
    public func pin(_ record: Int) -> ObjectPin? { pins.isEmpty ? nil : pins[record] }

    /// The key (`file_name`) of a record.
    public func key(_ record: Int) -> String { String(decoding: keyBytes(record), as: UTF8.self) }

    /// A record's image template.
    func image(_ record: Int) -> TemplateRef { entries[record].image }

    /// A record's entry: its layout and its annotations' measures.
    func entry(_ record: Int) -> Entry { entries[record] }

    /// Where a record's annotation templates lie in `annotations`.
    func annotationRange(_ record: Int) -> Range<Int> {
        let range = entries[record].annotations
        return Int(range.lowerBound)..<Int(range.upperBound)
    }

    /// A shard decoded from bytes of its own (copied).
    public init(_ bytes: [UInt8]) throws(ShardCodec.Corrupt) {
        var scratch = Scratch()
        try self.init(bytes, scratch: &scratch)
    }

    /// The same, parsed through `scratch`.
    init(_ bytes: [UInt8], scratch: inout Scratch) throws(ShardCodec.Corrupt) {
        let copy = OwnedBytes(bytes)
        try self.init(bytes: copy.buffer, owner: copy, scratch: &scratch)
    }

    /// A shard decoded in place from `bytes`, which `owner` keeps alive, parsed through
    /// `scratch`.
    init(bytes: UnsafeBufferPointer<UInt8>, owner: AnyObject, scratch: inout Scratch) throws(ShardCodec.Corrupt) {
        scratch.clear()
        var reader = ByteReader(bytes)
        do {
            try reader.expect(ShardCodec.magic)
            let count = try reader.int()
            // Every record takes bytes: a count past them is a corrupt (or hostile) shard, not a
            // reason to reserve gigabytes.
            guard count <= bytes.count - reader.position else { throw ShardCodec.Corrupt() }
            for _ in 0..<count { try scratch.readRecord(&reader) }
            guard reader.atEnd else { throw ShardCodec.Corrupt() }
        } catch { throw ShardCodec.Corrupt() }
        self.init(bytes: bytes, owner: owner, tables: scratch)
    }

    /// A view over tables parsed into `scratch`, copied at their size.
    init(bytes: UnsafeBufferPointer<UInt8>, owner: AnyObject?, tables scratch: Scratch) {
        self.bytes = bytes
        self.owner = owner
        entries = Self.copy(scratch.entries)
        annotations = Self.copy(scratch.annotations)
        pins = scratch.anyPin ? Self.copy(scratch.pins) : []
        subsets = scratch.anySubset ? Self.copy(scratch.subsets) : []
    }

    /// A table in storage of its own, exactly its size (copied from its elements): `Array(table)`
    /// would share the scratch's storage, slack and all, and leave the scratch to grow a new one
    /// for the next shard.
    private static func copy<Element>(_ table: [Element]) -> [Element] {
        table.withUnsafeBufferPointer { Array($0) }
    }

    /// A copy that a view owns.
    private final class OwnedBytes {
        let buffer: UnsafeBufferPointer<UInt8>
        init(_ bytes: [UInt8]) {
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
            _ = copy.initialize(from: bytes)
            buffer = UnsafeBufferPointer(copy)
        }
        deinit { buffer.deallocate() }
    }

    static func readTemplate(_ reader: inout ByteReader) throws(ByteReader.Malformed) -> TemplateRef {
        let range = try reader.dataRange()
        var template = TemplateRef(start: Int32(range.lowerBound), length: Int32(range.count), idOffset: -1, imageIDOffset: -1)
        let cutCount = Int(try reader.byte())
        var last = 0
        for _ in 0..<cutCount {
            let hole = try reader.byte()
            let offset = try reader.int()
            guard offset >= last, offset <= range.count else { throw ByteReader.Malformed() }
            last = offset
            switch ObjectTemplate.Hole(rawValue: hole) {
            case .id?: template.idOffset = Int32(offset)
            case .imageID?: template.imageIDOffset = Int32(offset)
            case nil: throw ByteReader.Malformed()
            }
        }
        return template
    }

    /// Every record as a value, copied out of the shard's bytes.
    public var records: [ImageRecord] { (0..<count).map { record($0) } }

    /// The encoded bytes of record `index` (of a view built from a whole shard).
    func recordBytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let range = entries[index].encoding
        return UnsafeBufferPointer(rebasing: bytes[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    /// The records of two shards that are not in both byte for byte, handed to `body` in key
    /// order: both records of a key whose records differ, one of a key only one side has. What
    /// a diff compares when both shards hold the same keys' records (the same number in the
    /// same layout). Records are walked in their shards' key order, and one equal to its
    /// counterpart is never copied out — in a wide diff, half the records or more.
    public static func forEachDifferingPair(_ old: ShardView?, _ new: ShardView?, _ body: (ImageRecord?, ImageRecord?) -> Void) {
        let (oldCount, newCount) = (old?.count ?? 0, new?.count ?? 0)
        var i = 0, j = 0
        while i < oldCount || j < newCount {
            if let old, let new, i < oldCount && j < newCount {
                let a = old.recordBytes(i), b = new.recordBytes(j)
                if ByteSearch.equal(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b)) {
                    i += 1
                    j += 1
                    continue
                }
                let order = old.compareKey(i, new, j)
                body(order <= 0 ? old.record(i) : nil, order >= 0 ? new.record(j) : nil)
                if order <= 0 { i += 1 }
                if order >= 0 { j += 1 }
            } else if let old, i < oldCount {
                body(old.record(i), nil)
                i += 1
            } else if let new {
                body(nil, new.record(j))
                j += 1
            }
        }
    }

    /// How record `index`'s key orders against `other`'s record `otherIndex` key, as shards
    /// sort them (`ShardLayout.keyOrder`): negative, zero or positive.
    func compareKey(_ index: Int, _ other: ShardView, _ otherIndex: Int) -> Int {
        ShardLayout.keyOrder(keyBytes(index), other.keyBytes(otherIndex))
    }

    /// The UTF-8 of record `index`'s key, in place.
    func keyBytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let range = entries[index].key
        return UnsafeBufferPointer(rebasing: bytes[Int(range.lowerBound)..<Int(range.upperBound)])
    }

    /// Record `index` as a value. Its templates lie in one stretch of the shard, copied once
    /// and shared by their slices.
    public func record(_ index: Int) -> ImageRecord {
        let refs = [image(index)] + annotations[annotationRange(index)]
        let lower = refs.lazy.map { Int($0.start) }.min()!, upper = refs.lazy.map { Int($0.start + $0.length) }.max()!
        let stretch = Array(bytes[lower..<upper])
        let templates = refs.map { ref in
            var template = ObjectTemplate(bytes: stretch[Int(ref.start) - lower..<Int(ref.start + ref.length) - lower])
            template.idOffset = ref.idOffset
            template.imageIDOffset = ref.imageIDOffset
            return template
        }
        return ImageRecord(key: key(index), image: templates[0], annotations: Array(templates.dropFirst()), pin: pin(index),
                           subset: subset(index))
    }
}

/// Decimal digits of an integer straight into a byte buffer (ids are written a million times
/// per checkout; no String in between).
enum Decimal {
    /// How many bytes `write` writes for `value`.
    static func digits(_ value: Int64) -> Int {
        var magnitude = value.magnitude
        var count = value < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            count += 1
        }
        return count
    }

    /// Writes `value` at `pointer`; returns the number of bytes.
    @inline(__always)
    static func write(_ value: Int64, to pointer: UnsafeMutableRawPointer) -> Int {
        let count = digits(value)
        var magnitude = value.magnitude
        var index = count - 1
        repeat {
            pointer.storeBytes(of: UInt8(ascii: "0") + UInt8(magnitude % 10), toByteOffset: index, as: UInt8.self)
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        if value < 0 { pointer.storeBytes(of: UInt8(ascii: "-"), toByteOffset: 0, as: UInt8.self) }
        return count
    }
}
