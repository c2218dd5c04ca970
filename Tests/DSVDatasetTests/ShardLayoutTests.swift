import DSVDataset
import DSVNative
import Testing

/// The shard count follows the version's size, 1.5 to 3 images a shard; names in the tree say
/// which shard they hold and nothing else passes for one.
@Suite struct ShardLayoutTests {
    @Test(arguments: [(0, 9), (1, 9), (1_000, 9), (1_535, 9), (1_536, 10), (10_000, 12), (40_000, 14),
                      (98_303, 15), (98_304, 16), (118_287, 16), (196_607, 16), (196_608, 17), (1_182_870, 19),
                      (100_000_000, 20)])
    func bitsFollowTheImageCount(images: Int, bits: Int) {
        let layout = ShardLayout(images: images)
        #expect(layout.bits == bits)
        if images >= 1_536 && images < 3 << 20 {
            let perShard = Double(images) / Double(layout.shardCount)
            #expect(perShard >= 1.5 && perShard < 3, "\(perShard) images a shard")
        }
    }

    @Test func format1IsSixteenBitsAndOnlyThat() {
        #expect(ShardLayout(images: 118_287) == .format1)
        #expect(ShardLayout.format1.format == 1)
        #expect(ShardLayout(bits: 12).format == 2)
        #expect(ShardLayout(format: 1, bits: nil) == .format1)
        #expect(ShardLayout(format: 2, bits: 12) == ShardLayout(bits: 12))
        #expect(ShardLayout(format: 1, bits: 12) == nil)
        #expect(ShardLayout(format: 2, bits: nil) == nil)
        #expect(ShardLayout(format: 2, bits: 40) == nil)
        #expect(ShardLayout(format: 3, bits: 12) == nil)
    }

    @Test(arguments: [9, 12, 13, 16, 19, 20])
    func everyShardHasOnePathAndBack(bits: Int) {
        let layout = ShardLayout(bits: bits)
        var names = Set<String>()
        for shard in [0, 1, layout.shardCount / 3, layout.shardCount - 2, layout.shardCount - 1] {
            let path = layout.path(shard)
            #expect(path.directory.utf8.count == 2 && path.name.utf8.count == layout.nameDigits)
            #expect(layout.shard(directory: path.directory, name: path.name) == shard)
            names.insert(path.directory + "/" + path.name)
        }
        #expect(names.count == 5)
    }

    @Test func namesOfAnotherLayoutOrNotLowercaseHexAreNoShard() {
        let layout = ShardLayout(bits: 12)
        #expect(layout.path(0xabc) == ("ab", "c"))
        #expect(ShardLayout.format1.path(0xabcd) == ("ab", "cd"))
        #expect(ShardLayout(bits: 9).path(0x1ff) == ("ff", "1"))
        for (directory, name) in [("ab", "cd"), ("ab", ""), ("a", "c"), ("AB", "c"), ("ab", "C"), ("ab", "-"), ("zz", "c"), ("+a", "c")] {
            #expect(layout.shard(directory: directory, name: name) == nil, "\(directory)/\(name)")
        }
        // 9 bits: one bit below the directory, so only "0" and "1" name a shard.
        #expect(ShardLayout(bits: 9).shard(directory: "00", name: "2") == nil)
    }

    @Test func aKeysShardIsTheTopBitsOfItsDigest() {
        let hasher = Hasher(.sha256)
        let digest = Hasher.digest(.sha256, Array("images/0001.jpg".utf8))
        let top = Int(digest[0]) << 24 | Int(digest[1]) << 16 | Int(digest[2]) << 8 | Int(digest[3])
        for bits in ShardLayout.bitRange {
            #expect(ShardLayout(bits: bits).shard(of: "images/0001.jpg", using: hasher) == top >> (32 - bits))
        }
    }
}
