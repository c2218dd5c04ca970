@testable import DSVDataset
import Testing

/// A shard is decoded without trusting its record count: a count past its bytes is a corrupt
/// shard, refused, not a reservation of gigabytes that aborts the process.
@Suite struct ShardViewTests {
    @Test func refusesARecordCountPastItsBytes() {
        for count in [2, 1 << 20, 1 << 34] {
            var writer = ByteWriter(capacity: 16)
            for byte in ShardCodec.magic.utf8 { writer.byte(byte) }
            writer.varint(count)
            #expect(throws: ShardCodec.Corrupt.self, "\(count) records") { try ShardView(writer.bytes) }
        }
        var empty = ByteWriter(capacity: 16)
        for byte in ShardCodec.magic.utf8 { empty.byte(byte) }
        empty.varint(0)
        #expect((try? ShardView(empty.bytes))?.count == 0)
    }

    /// One template as `RecordEncoder` writes it: its text, then its holes in order.
    static func template(_ text: String, holes: [(ObjectTemplate.Hole, Int)], to writer: inout ByteWriter) {
        writer.string(text)
        writer.byte(UInt8(holes.count))
        for (hole, offset) in holes {
            writer.byte(hole.rawValue)
            writer.varint(offset)
        }
    }

    /// Pins and subsets are kept only where a record has one: a shard that mixes records with
    /// and without them reads each record's own, and one without any reads none; a record's
    /// annotations are measured for a checkout's layout as decoded.
    @Test func readsEachRecordsPinSubsetAndMeasures() throws {
        let pin = ObjectPin(etag: "\"e1\"", size: 12, versionID: "v1", lastModified: "2026-12-05T00:00:00Z")
        var writer = ByteWriter(capacity: 256)
        for byte in ShardCodec.magic.utf8 { writer.byte(byte) }
        writer.varint(3)
        // a.jpg: pinned, in Train, two annotations (one with both holes, one with its id only).
        writer.string("a.jpg")
        Self.template(#"{"id":,"file_name":"a.jpg"}"#, holes: [(.id, 6)], to: &writer)
        RecordEncoder.appendPinAndSubset(pin, "Train", to: &writer)
        writer.varint(2)
        Self.template(#"{"id":,"image_id":,"bbox":[1,2,3,4]}"#, holes: [(.id, 6), (.imageID, 18)], to: &writer)
        Self.template(#"{"id":,"image_id":7,"bbox":[5,6,7,8]}"#, holes: [(.id, 6)], to: &writer)
        // b.jpg: neither pin nor subset, no annotation.
        writer.string("b.jpg")
        Self.template(#"{"file_name":"b.jpg"}"#, holes: [], to: &writer)
        RecordEncoder.appendPinAndSubset(nil, nil, to: &writer)
        writer.varint(0)
        // c.jpg: pinned, default subset, one annotation without holes.
        writer.string("c.jpg")
        Self.template(#"{"id":,"file_name":"c.jpg"}"#, holes: [(.id, 6)], to: &writer)
        RecordEncoder.appendPinAndSubset(pin, nil, to: &writer)
        writer.varint(1)
        Self.template(#"{"id":9,"image_id":3}"#, holes: [], to: &writer)

        let view = try ShardView(writer.bytes)
        #expect(view.count == 3)
        #expect((0..<3).map { view.key($0) } == ["a.jpg", "b.jpg", "c.jpg"])
        #expect((0..<3).map { view.pin($0) } == [pin, nil, pin])
        #expect((0..<3).map { view.subset($0) } == ["Train", Subset.defaultName, Subset.defaultName])
        #expect(view.records.map(\.pin) == [pin, nil, pin])
        #expect(view.records.map(\.annotations.count) == [2, 0, 1])
        let measures = (0..<3).map { view.entry($0) }.map { [$0.annotationBytes, $0.liftedIDs, $0.imageIDHoles] }
        #expect(measures == [[Int32(#"{"id":,"image_id":,"bbox":[1,2,3,4]}"#.utf8.count + #"{"id":,"image_id":7,"bbox":[5,6,7,8]}"#.utf8.count), 2, 1],
                             [0, 0, 0], [Int32(#"{"id":9,"image_id":3}"#.utf8.count), 0, 0]])

        var plain = ByteWriter(capacity: 64)
        for byte in ShardCodec.magic.utf8 { plain.byte(byte) }
        plain.varint(1)
        plain.string("d.jpg")
        Self.template(#"{"file_name":"d.jpg"}"#, holes: [], to: &plain)
        RecordEncoder.appendPinAndSubset(nil, nil, to: &plain)
        plain.varint(0)
        let bare = try ShardView(plain.bytes)
        #expect(bare.pin(0) == nil && bare.subset(0) == Subset.defaultName && bare.records[0].key == "d.jpg")
    }
}

