@testable import DSVDataset
import Testing

/// The order stream decodes what it encodes, and refuses what it did not write without
/// trusting its counts: a count larger than the bytes left could otherwise reserve gigabytes.
@Suite struct OrderStreamTests {
    static let stream = OrderStream(ordinals: [2, 0, 1], imageIDs: [7, 3, 9], runs: OrderStream.runs(of: [(0, 0), (0, 1), (2, 0), (1, 0)]),
                                    annotationIDs: [100, 101, 99, 250], annotationCount: 4)

    @Test func decodesWhatItEncodes() throws {
        #expect(try OrderStream.decode(Self.stream.encoded()) == Self.stream)
    }

    @Test func refusesEveryTruncationAndAnyTrailingByte() {
        let bytes = Self.stream.encoded()
        for length in 0..<bytes.count { #expect(throws: ShardCodec.Corrupt.self) { try OrderStream.decode(Array(bytes[0..<length])) } }
        #expect(throws: ShardCodec.Corrupt.self) { try OrderStream.decode(bytes + [0]) }
    }

    /// Each count in turn claims 2³⁴ entries (a count a reader takes): refused at once.
    @Test func refusesCountsPastItsBytes() {
        var writer = ByteWriter(capacity: 64)
        for byte in OrderStream.magic.utf8 { writer.byte(byte) }
        writer.varint(1 << 34)
        #expect(throws: ShardCodec.Corrupt.self) { try OrderStream.decode(writer.bytes) }
        for huge in 1...3 {
            var writer = ByteWriter(capacity: 64)
            for byte in OrderStream.magic.utf8 { writer.byte(byte) }
            writer.varint(1)            // images
            writer.varint(1)            // annotations
            writer.varint(0)            // the image's ordinal
            writer.varint(huge == 1 ? 1 << 34 : 1)
            if huge != 1 { writer.signed(5) }
            writer.varint(huge == 2 ? 1 << 34 : 1)
            if huge != 2 { writer.signed(0); writer.varint(0); writer.varint(1) }
            writer.varint(huge == 3 ? 1 << 34 : 0)
            #expect(throws: ShardCodec.Corrupt.self, "count \(huge)") { try OrderStream.decode(writer.bytes) }
        }
    }
}
