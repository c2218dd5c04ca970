/// A shard's bytes: the magic `DSV1S`, the record count, then the records sorted by key
/// (`RecordEncoder` writes them). Decoding validates every length: a corrupt shard is an error.
public enum ShardCodec {
    public static let magic = "DSV1S"

    public struct Corrupt: Error, Sendable {}

    public static func decode(_ bytes: [UInt8]) throws(Corrupt) -> [ImageRecord] {
        var reader = ByteReader(bytes)
        do {
            try reader.expect(magic)
            let count = try reader.int()
            var records: [ImageRecord] = []
            records.reserveCapacity(count)
            for _ in 0..<count { records.append(try decodeRecord(&reader)) }
            guard reader.atEnd else { throw Corrupt() }
            return records
        } catch { throw Corrupt() }
    }

    static func decodeRecord(_ reader: inout ByteReader) throws -> ImageRecord {
        let key = try reader.string()
        let image = try decodeTemplate(&reader)
        var pin: ObjectPin?
        if try reader.byte() == RecordEncoder.pinPresent {
            let etag = try reader.string()
            let size = Int64(try reader.varint())
            let version = try reader.string()
            pin = ObjectPin(etag: etag, size: size, versionID: version.isEmpty ? nil : version,
                            lastModified: try reader.string())
        }
        let count = try reader.int()
        var annotations: [ObjectTemplate] = []
        annotations.reserveCapacity(count)
        for _ in 0..<count { annotations.append(try decodeTemplate(&reader)) }
        return ImageRecord(key: key, image: image, annotations: annotations, pin: pin)
    }

    static func decodeTemplate(_ reader: inout ByteReader) throws -> ObjectTemplate {
        let bytes = reader.bytes[try reader.dataRange()]
        let cutCount = Int(try reader.byte())
        var cuts: [ObjectTemplate.Cut] = []
        var last = 0
        for _ in 0..<cutCount {
            guard let hole = ObjectTemplate.Hole(rawValue: try reader.byte()) else { throw Corrupt() }
            let offset = try reader.int()
            guard offset >= last, offset <= bytes.count else { throw Corrupt() }
            last = offset
            cuts.append(ObjectTemplate.Cut(hole: hole, offset: offset))
        }
        return ObjectTemplate(bytes: bytes, cuts: cuts)
    }
}
