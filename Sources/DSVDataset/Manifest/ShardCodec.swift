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
        var view = ShardView(over: reader.bytes)
        try view.readRecord(&reader)
        return view.record(0)
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

/// A decoded shard as flat tables over its buffer: per record its key, image template and pin,
/// and its annotations' templates. Built once per shard; records are materialized on demand.
public struct ShardView: @unchecked Sendable {
    /// The decompressed shard, kept alive by `owner` (a `BumpArena` many shards share, or a
    /// copy of its own); read-only.
    public let bytes: UnsafeBufferPointer<UInt8>
    private let owner: AnyObject?
    public private(set) var keys: [Range<Int32>] = []
    public private(set) var images: [TemplateRef] = []
    public private(set) var pins: [ObjectPin?] = []
    /// Each record's subset; nil for the default subset.
    public private(set) var subsets: [String?] = []
    /// Record i's annotations are `annotations[annotationStart[i]..<annotationStart[i + 1]]`.
    public private(set) var annotationStart: [Int32] = [0]
    public private(set) var annotations: [TemplateRef] = []
    /// Record i's encoding is `bytes[recordStart[i]..<recordStart[i + 1]]`: records whose bytes
    /// are equal are equal, which a diff tells without copying either out.
    public private(set) var recordStart: [Int32] = []

    public var count: Int { images.count }

    /// The subset of a record.
    public func subset(_ record: Int) -> String { subsets[record] ?? Subset.defaultName }

    /// The key (`file_name`) of a record.
    public func key(_ record: Int) -> String { String(decoding: keyBytes(record), as: UTF8.self) }

    /// A shard decoded from bytes of its own (copied).
    public init(_ bytes: [UInt8]) throws(ShardCodec.Corrupt) {
        let copy = OwnedBytes(bytes)
        try self.init(bytes: copy.buffer, owner: copy)
    }

    /// A shard decoded in place from `bytes`, which `owner` keeps alive.
    public init(bytes: UnsafeBufferPointer<UInt8>, owner: AnyObject) throws(ShardCodec.Corrupt) {
        self.bytes = bytes
        self.owner = owner
        var reader = ByteReader(bytes)
        do {
            try reader.expect(ShardCodec.magic)
            let count = try reader.int()
            // Every record takes bytes: a count past them is a corrupt (or hostile) shard, not a
            // reason to reserve gigabytes.
            guard count <= bytes.count - reader.position else { throw ShardCodec.Corrupt() }
            keys.reserveCapacity(count)
            images.reserveCapacity(count)
            pins.reserveCapacity(count)
            subsets.reserveCapacity(count)
            annotationStart.reserveCapacity(count + 1)
            recordStart.reserveCapacity(count + 1)
            for _ in 0..<count {
                recordStart.append(Int32(reader.position))
                try readRecord(&reader)
            }
            recordStart.append(Int32(reader.position))
            guard reader.atEnd else { throw ShardCodec.Corrupt() }
        } catch { throw ShardCodec.Corrupt() }
    }

    /// Records read one by one from a reader's bytes, while they live.
    init(over bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        owner = nil
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

    mutating func readRecord(_ reader: inout ByteReader) throws(ShardCodec.Corrupt) {
        do {
            let key = try reader.dataRange()
            keys.append(Int32(key.lowerBound)..<Int32(key.upperBound))
            images.append(try readTemplate(&reader))
            let flags = try reader.byte()
            guard flags & ~(RecordEncoder.pinPresent | RecordEncoder.subsetPresent) == 0 else { throw ShardCodec.Corrupt() }
            if flags & RecordEncoder.pinPresent != 0 {
                let etag = try reader.string()
                let size = Int64(try reader.varint())
                let version = try reader.string()
                pins.append(ObjectPin(etag: etag, size: size, versionID: version.isEmpty ? nil : version,
                                      lastModified: try reader.string()))
            } else {
                pins.append(nil)
            }
            if flags & RecordEncoder.subsetPresent != 0 {
                let subset = try reader.string()
                guard subset != Subset.defaultName, Subset.problem(subset) == nil else { throw ShardCodec.Corrupt() }
                subsets.append(subset)
            } else {
                subsets.append(nil)
            }
            let count = try reader.int()
            for _ in 0..<count { annotations.append(try readTemplate(&reader)) }
            annotationStart.append(Int32(annotations.count))
        } catch { throw ShardCodec.Corrupt() }
    }

    func readTemplate(_ reader: inout ByteReader) throws(ByteReader.Malformed) -> TemplateRef {
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
        UnsafeBufferPointer(rebasing: bytes[Int(recordStart[index])..<Int(recordStart[index + 1])])
    }

    /// The records of two shards that are not in both byte for byte, each side's in key order:
    /// what a diff compares when both shards hold the same keys' records (the same number in
    /// the same layout). Records are walked in their shards' key order, and one equal to its
    /// counterpart is never copied out — in a wide diff, half the records or more.
    public static func differingRecords(_ old: ShardView?, _ new: ShardView?) -> (old: [ImageRecord], new: [ImageRecord]) {
        guard let old, let new else { return (old?.records ?? [], new?.records ?? []) }
        var changedOld: [ImageRecord] = [], changedNew: [ImageRecord] = []
        var i = 0, j = 0
        while i < old.count || j < new.count {
            if i < old.count && j < new.count {
                let a = old.recordBytes(i), b = new.recordBytes(j)
                if ByteSearch.equal(UnsafeRawBufferPointer(a), UnsafeRawBufferPointer(b)) {
                    i += 1
                    j += 1
                    continue
                }
                let order = old.compareKey(i, new, j)
                if order <= 0 { changedOld.append(old.record(i)); i += 1 }
                if order >= 0 { changedNew.append(new.record(j)); j += 1 }
            } else if i < old.count {
                changedOld.append(old.record(i))
                i += 1
            } else {
                changedNew.append(new.record(j))
                j += 1
            }
        }
        return (changedOld, changedNew)
    }

    /// How record `index`'s key orders against `other`'s record `otherIndex` key, as shards
    /// sort them (`ShardLayout.keyOrder`): negative, zero or positive.
    func compareKey(_ index: Int, _ other: ShardView, _ otherIndex: Int) -> Int {
        ShardLayout.keyOrder(keyBytes(index), other.keyBytes(otherIndex))
    }

    /// The UTF-8 of record `index`'s key, in place.
    func keyBytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[Int(keys[index].lowerBound)..<Int(keys[index].upperBound)])
    }

    /// Record `index` as a value. Its templates lie in one stretch of the shard, copied once
    /// and shared by their slices.
    public func record(_ index: Int) -> ImageRecord {
        let refs = [images[index]] + annotations[Int(annotationStart[index])..<Int(annotationStart[index + 1])]
        let lower = refs.lazy.map { Int($0.start) }.min()!, upper = refs.lazy.map { Int($0.start + $0.length) }.max()!
        let stretch = Array(bytes[lower..<upper])
        let templates = refs.map { ref in
            var template = ObjectTemplate(bytes: stretch[Int(ref.start) - lower..<Int(ref.start + ref.length) - lower])
            template.idOffset = ref.idOffset
            template.imageIDOffset = ref.imageIDOffset
            return template
        }
        return ImageRecord(key: key(index), image: templates[0], annotations: Array(templates.dropFirst()), pin: pins[index],
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
