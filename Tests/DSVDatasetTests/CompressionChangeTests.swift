@testable import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// A repository whose shards were compressed to other bytes — by a dsv with other compression
/// settings, or another zstd — and a commit without the shard cache (a fresh clone's): the
/// unchanged shards keep their stored blobs, and only what changed is written — whether the
/// shards are in dsv's own packs, read in place, or loose files git wrote, read through libgit2.
@Suite struct CompressionChangeTests {
    @Test(arguments: [false, true])
    func aCommitWithoutTheCacheKeepsShardsCompressedOtherwise(loose: Bool) throws {
        let inputs = TemporaryDirectory("compression-change")
        let scratch = try ScratchRepository()
        let round0 = ShardCacheCommitTests.files(.oneFile, round: 0, in: inputs)
        let round1 = ShardCacheCommitTests.files(.oneFile, round: 1, in: inputs)
        var first = CommitOperation.Request(exports: round0, message: "round 0")
        first.compression = ZstdSettings(level: 19)
        _ = try CommitOperation.run(first, in: scratch.repository, author: ScratchRepository.author)
        if loose {
            let packs = joinPath(scratch.repository.path, "objects/pack")
            for name in try FileManager.default.contentsOfDirectory(atPath: packs) where name.hasSuffix(".pack") {
                let moved = inputs.file(name)
                try FileManager.default.moveItem(atPath: joinPath(packs, name), toPath: moved)
                try FileManager.default.removeItem(atPath: joinPath(packs, String(name.dropLast(5)) + ".idx"))
                let unpacked = try runProcess("sh", ["-c", "git --git-dir='\(scratch.repository.path)' unpack-objects -q < '\(moved)'"])
                #expect(unpacked.status == 0, "\(unpacked.stderr)")
            }
        }
        let before = try scratch.version().shardBlobs()
        for cache in ["dsv-shards.cache", "dsv-elements.cache"] {
            try FileManager.default.removeItem(atPath: joinPath(scratch.repository.path, cache))
        }
        guard case .committed(let made) = try scratch.commit(round1, "round 1") else {
            Issue.record("expected a commit"); return
        }
        let after = try scratch.version().shardBlobs()
        let kept = after.filter { before[$0.key] == $0.value }.count
        // What the same rounds write with the cache and one compression throughout.
        let control = try ScratchRepository()
        try control.commit(round0, "round 0")
        let controlBefore = try control.version().shardBlobs()
        guard case .committed(let controlMade) = try control.commit(round1, "round 1") else {
            Issue.record("expected a commit"); return
        }
        let controlKept = try control.version().shardBlobs().filter { controlBefore[$0.key] == $0.value }.count
        #expect(kept == controlKept && kept > after.count / 2 && kept < after.count)
        // One more: the subset's header, unchanged but compressed anew (a few hundred bytes).
        #expect(made.objectsWritten == controlMade.objectsWritten + 1)
        #expect(try scratch.version().summary.manifest == control.version().summary.manifest)
        #expect(try scratch.checkout("HEAD~1") == Fixture.bytes(round0[0]))
        #expect(try scratch.checkout() == Fixture.bytes(round1[0]))
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }
}
