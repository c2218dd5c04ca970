import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

@Suite struct ShardCacheTests {
    static func entry(_ seed: UInt8, commit: UInt8 = 1) -> (Fingerprint, ShardCache.Entry) {
        (Fingerprint(high: UInt64(seed), low: ~UInt64(seed)),
         ShardCache.Entry(contentDigest: SHA256Digest(bytes: [UInt8](repeating: seed, count: 32)), blobID: GitObjectID(bytes: [UInt8](repeating: seed, count: 20)),
                          commit: GitObjectID(bytes: [UInt8](repeating: commit, count: 20))))
    }

    @Test func entriesAndTheKeySurviveAReload() throws {
        let directory = TemporaryDirectory("shard-cache")
        let path = directory.file("cache")
        var cache = ShardCache(path: path)
        #expect(cache.entries.isEmpty)
        cache.append([Self.entry(1), Self.entry(2)])
        cache.append([Self.entry(3, commit: 2)])
        let reloaded = ShardCache(path: path)
        #expect(reloaded.key.bytes == cache.key.bytes)
        #expect(reloaded.entries.count == 3)
        #expect(reloaded.entries[Self.entry(3).0]?.blobID == Self.entry(3).1.blobID)
        #expect(reloaded.entries[Self.entry(3).0]?.commit == Self.entry(3, commit: 2).1.commit)
        #expect(reloaded.entries[Self.entry(2).0]?.contentDigest == Self.entry(2).1.contentDigest)
        #expect(reloaded.commits.count == 2)
    }

    /// A flipped byte loses its commit's batch and those after it (the count of a damaged batch
    /// cannot be trusted to find the next); a torn append loses the torn batch. Either way the
    /// file is written whole on the next append, so later batches are read again.
    @Test func damageCostsTheDamagedBatchAndThoseAfter() throws {
        let directory = TemporaryDirectory("shard-cache")
        let path = directory.file("cache")
        var cache = ShardCache(path: path)
        cache.append([Self.entry(1), Self.entry(2)])
        cache.append([Self.entry(3), Self.entry(4)])
        cache.append([Self.entry(5)])
        var bytes = Array(FileManager.default.contents(atPath: path)!)
        let second = ShardCache.headerSize + ShardCache.batchHeadSize + 2 * ShardCache.entrySize
        bytes[second + ShardCache.batchHeadSize + 40] ^= 0x40   // inside entry 3's SHA-256
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        var damaged = ShardCache(path: path)
        #expect(Set(damaged.entries.keys) == [Self.entry(1).0, Self.entry(2).0])
        damaged.append([Self.entry(6)])
        let repaired = ShardCache(path: path)
        #expect(Set(repaired.entries.keys) == [Self.entry(1).0, Self.entry(2).0, Self.entry(6).0])
        #expect(repaired.key.bytes == cache.key.bytes)

        var torn = Array(FileManager.default.contents(atPath: path)!)
        torn += [0, 0, 0, 9, 1, 2, 3]                            // a batch cut short
        _ = FileManager.default.createFile(atPath: path, contents: Data(torn))
        var cut = ShardCache(path: path)
        #expect(Set(cut.entries.keys) == Set(repaired.entries.keys))
        cut.append([Self.entry(7)])
        #expect(ShardCache(path: path).entries.count == 4)
    }

    /// Anything that is not a cache gives an empty one with a new key (so no fingerprint
    /// computed under another key can match).
    @Test func aForeignOrTruncatedFileStartsAfresh() throws {
        let directory = TemporaryDirectory("shard-cache")
        let path = directory.file("cache")
        var cache = ShardCache(path: path)
        cache.append([Self.entry(1)])
        let original = Array(FileManager.default.contents(atPath: path)!)
        for damaged in [Array(original.prefix(40)), Array("not a cache".utf8), [UInt8]()] {
            _ = FileManager.default.createFile(atPath: path, contents: Data(damaged))
            let fresh = ShardCache(path: path)
            #expect(fresh.entries.isEmpty)
            #expect(fresh.key.bytes != cache.key.bytes)
        }
    }
}

@Suite struct ShardCacheCompactionTests {
    /// Cut down to the entries given, the file holds exactly those under the same key, and
    /// appends go on after it.
    @Test func compactionKeepsOnlyTheGivenEntries() throws {
        let directory = TemporaryDirectory("shard-cache")
        let path = directory.file("cache")
        var cache = ShardCache(path: path)
        cache.append((1...20).map { ShardCacheTests.entry($0) })
        let kept = [ShardCacheTests.entry(3, commit: 9), ShardCacheTests.entry(7, commit: 9)]
        cache.compact(to: kept)
        #expect(Set(cache.entries.keys) == Set(kept.map(\.0)))
        var reloaded = ShardCache(path: path)
        #expect(reloaded.key.bytes == cache.key.bytes)
        #expect(Set(reloaded.entries.keys) == Set(kept.map(\.0)))
        #expect(reloaded.commits == [ShardCacheTests.entry(3, commit: 9).1.commit])
        #expect(FileManager.default.contents(atPath: path)!.count == ShardCache.headerSize + ShardCache.batchHeadSize + 2 * ShardCache.entrySize)
        reloaded.append([ShardCacheTests.entry(30)])
        #expect(ShardCache(path: path).entries.count == 3)
    }

    /// A cache is cut down only once it holds more than twice the live shards plus 4,096.
    @Test func compactionWaitsForTwiceTheLiveShards() {
        #expect(!ShardCache.needsCompaction(count: 4_096, live: 0))
        #expect(ShardCache.needsCompaction(count: 4_097, live: 0))
        #expect(!ShardCache.needsCompaction(count: 114_236, live: 55_070))
        #expect(ShardCache.needsCompaction(count: 114_237, live: 55_070))
    }
}

@Suite struct ShardTableTests {
    /// Every entry is found after the table grew many times over, a fingerprint added again
    /// replaces its entry, and one never added is not found — also where only the low word
    /// (the table's index) collides.
    @Test func findsWhatWasAddedAcrossGrowth() {
        var table = ShardTable()
        var generator = SplitMix(seed: 7)
        let fingerprints = (0..<5_000).map { i in
            Fingerprint(high: generator.next(), low: i % 10 == 0 ? 42 : generator.next())
        }
        for (i, fingerprint) in fingerprints.enumerated() { table[fingerprint] = ShardCacheTests.entry(UInt8(i % 250)).1 }
        #expect(table.count == fingerprints.count)
        for (i, fingerprint) in fingerprints.enumerated() {
            #expect(table[fingerprint]?.blobID == ShardCacheTests.entry(UInt8(i % 250)).1.blobID)
        }
        table[fingerprints[17]] = ShardCacheTests.entry(251).1
        #expect(table.count == fingerprints.count)
        #expect(table[fingerprints[17]]?.blobID == ShardCacheTests.entry(251).1.blobID)
        #expect(table[Fingerprint(high: 1, low: 42)] == nil)
        #expect(table[Fingerprint(high: 1, low: 2)] == nil)
        #expect(ShardTable()[fingerprints[0]] == nil)
        #expect(Set(ShardTable(table.pairs).keys) == Set(fingerprints))
    }
}
