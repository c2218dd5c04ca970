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
}
