import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// Blobs read in place from dsv's own packs give what libgit2 gives, and whatever is not a
/// whole stored body in one of them is left to libgit2 (nil), never misread.
@Suite struct StoredPackObjectsTests {
    let dir = TemporaryDirectory()

    func packed(_ objects: [GitObject]) throws -> DatasetRepository {
        let repository = try DatasetRepository.create(in: dir.path)
        let pack = try repository.newPack()
        objects.forEach { pack.add($0) }
        try pack.finish()
        return repository
    }

    /// The path of the repository's only pack file ending in `suffix` (`.pack`, `.idx`).
    func packFile(_ suffix: String, of repository: DatasetRepository) throws -> String {
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: repository.packDirectory)
            .first { $0.hasSuffix(suffix) })
        return repository.packDirectory + "/" + name
    }

    /// Every size a single stored block holds (up to 65,535 bytes) is lent as it is; a larger
    /// blob (several blocks), a tree and an id no pack has are not.
    @Test func blobsInOneStoredBlockReadAsLibgit2ReadsThem() throws {
        let blobs = [0, 1, 100, 8_600, 65_535].map { size in
            GitObject(kind: .blob, content: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ size) })
        }
        let large = GitObject(kind: .blob, content: [UInt8](repeating: 9, count: 65_536))
        let tree = GitObject.tree([GitObject.TreeEntry(name: "a", id: blobs[1].id, isTree: false)])
        let repository = try packed(blobs + [large, tree])
        let packs = StoredPackObjects(packDirectory: repository.packDirectory)
        let database = try repository.git.objectDatabase()
        for blob in blobs {
            let bytes = try #require(packs.storedBlob(blob.id), "\(blob.content.count) bytes")
            #expect(Array(bytes) == blob.content)
            #expect(Array(bytes) == (try database.read(blob.id)))
        }
        #expect(packs.storedBlob(large.id) == nil)
        #expect(try database.read(large.id) == large.content)
        #expect(packs.storedBlob(tree.id) == nil)
        #expect(packs.storedBlob(GitObject(kind: .blob, content: Array("not stored".utf8)).id) == nil)
    }

    /// Blobs in several packs are found whichever pack the reader's hint names, and the hint is
    /// left on the pack that had the last one.
    @Test func blobsInSeveralPacksAreFoundFromAnyHint() throws {
        let repository = try DatasetRepository.create(in: dir.path)
        let blobs = (0..<9).map { GitObject(kind: .blob, content: Array("blob \($0) ".utf8) + [UInt8](repeating: UInt8($0), count: 100 * $0)) }
        for part in 0..<3 {
            let pack = try repository.newPack()
            blobs[part * 3..<part * 3 + 3].forEach { pack.add($0) }
            try pack.finish()
        }
        let packs = StoredPackObjects(packDirectory: repository.packDirectory)
        // The pack each blob was found in, from every starting hint: the same for a blob, the
        // same for the blobs of one pack, and one of three.
        var packOf: [GitObjectID: Int] = [:]
        for start in [-1, 0, 1, 2, 7] {
            for blob in blobs + blobs.reversed() {
                var hint = start
                #expect(packs.storedBlob(blob.id, hint: &hint).map(Array.init) == blob.content)
                #expect(packOf[blob.id, default: hint] == hint, "start \(start)")
                packOf[blob.id] = hint
            }
        }
        let parts = (0..<3).map { part in Set(blobs[part * 3..<part * 3 + 3].map { packOf[$0.id]! }) }
        #expect(parts.allSatisfy { $0.count == 1 } && Set(parts.flatMap { $0 }) == [0, 1, 2])
    }

    /// A body whose bytes changed on disk fails its entry's CRC-32 and is left to libgit2,
    /// which reports it; its neighbours still read in place.
    @Test func aDamagedBodyIsNotLent() throws {
        let damaged = GitObject(kind: .blob, content: Array(repeating: UInt8(ascii: "d"), count: 5_000))
        let intact = GitObject(kind: .blob, content: Array(repeating: UInt8(ascii: "i"), count: 5_000))
        let repository = try packed([damaged, intact])
        let path = try packFile(".pack", of: repository)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let start = try #require(bytes.indices.first { bytes[$0] == UInt8(ascii: "d") })
        bytes[start + 2_500] = UInt8(ascii: "x")
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let packs = StoredPackObjects(packDirectory: repository.packDirectory)
        #expect(packs.storedBlob(damaged.id) == nil)
        #expect(packs.storedBlob(intact.id).map(Array.init) == intact.content)
        #expect(throws: (any Error).self) { try repository.git.objectDatabase().read(damaged.id) }
    }

    /// An index whose offsets were swapped points each id at the other's entry: the entry's
    /// CRC-32 is not the one the index keeps for the id, and neither is lent.
    @Test func anIndexPointingAtTheWrongEntryIsNotTrusted() throws {
        let blobs = [UInt8(ascii: "f"), UInt8(ascii: "s")].map { GitObject(kind: .blob, content: Array(repeating: $0, count: 3_000)) }
        let repository = try packed(blobs)
        let path = try packFile(".idx", of: repository)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let offsets = 8 + 1024 + 2 * 24  // two objects: ids, CRCs, then offsets
        let first = Array(bytes[offsets..<offsets + 4])
        bytes[offsets..<offsets + 4] = bytes[offsets + 4..<offsets + 8]
        bytes[offsets + 4..<offsets + 8] = first[...]
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let packs = StoredPackObjects(packDirectory: repository.packDirectory)
        for blob in blobs { #expect(packs.storedBlob(blob.id) == nil) }
    }

    /// An offset kept in the index's table of 8-byte offsets (as for an object past 2 GiB into
    /// its pack) is followed there: the index rewritten so that one object's offset goes through
    /// that table.
    @Test func anOffsetInTheLargeOffsetTableIsFollowed() throws {
        let blobs = (0..<3).map { GitObject(kind: .blob, content: Array("object \($0) ".utf8) + [UInt8](repeating: 5, count: 1_000 * $0)) }
        let repository = try packed(blobs)
        let path = try packFile(".idx", of: repository)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let count = 3, offsets = 8 + 1024 + count * 24, large = 8 + 1024 + count * 28
        let small = bytes[offsets + 4..<offsets + 8].reduce(0) { $0 << 8 | UInt64($1) }  // the second object's
        bytes[offsets + 4..<offsets + 8] = [0x80, 0, 0, 0]  // entry 0 of the large-offset table
        bytes.insert(contentsOf: (0..<8).map { UInt8(truncatingIfNeeded: small >> (56 - 8 * $0)) }, at: large)
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let packs = StoredPackObjects(packDirectory: repository.packDirectory)
        for blob in blobs { #expect(packs.storedBlob(blob.id).map(Array.init) == blob.content) }
    }

    /// A byte changed anywhere in the pack or its index — 2,000 random places — never crashes
    /// the reader and never lends anything but an object's own content.
    @Test func noDamageMakesItLendTheWrongBytes() throws {
        let blobs = (0..<6).map { index in GitObject(kind: .blob, content: (0..<(700 * index + 1)).map { UInt8(truncatingIfNeeded: $0 &* (index + 3)) }) }
        let repository = try packed(blobs)
        let files = try [".pack", ".idx"].map { try packFile($0, of: repository) }
        let originals = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        var random = SplitMix(seed: 22)
        for _ in 0..<2_000 {
            let which = Int.random(in: 0...1, using: &random)
            var bytes = [UInt8](originals[which])
            bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            try Data(bytes).write(to: URL(fileURLWithPath: files[which]))
            let packs = StoredPackObjects(packDirectory: repository.packDirectory)
            for blob in blobs {
                if let lent = packs.storedBlob(blob.id) { #expect(Array(lent) == blob.content) }
            }
            try originals[which].write(to: URL(fileURLWithPath: files[which]))
        }
    }

    /// After git's own repack, the deltas it made are left to libgit2, and what it kept as we
    /// wrote it (`-f` reuses bodies) still reads in place; after it recompressed everything
    /// (`-F`) nothing is lent. libgit2 reads them all, every time.
    @Test func packsGitRewroteAreLeftToLibgit2() throws {
        let blobs = (0..<20).map { GitObject(kind: .blob, content: Array("shard \($0) ".utf8) + [UInt8](repeating: 7, count: 4_000)) }
        let tree = GitObject.tree(blobs.enumerated().map { GitObject.TreeEntry(name: "\($0.offset)", id: $0.element.id, isTree: false) })
        let repository = try packed(blobs + [tree])
        let signature = GitSignature(name: "Test", email: "test@example.com", time: 1_700_000_000, offsetMinutes: 0)
        try repository.advanceBranch(from: nil, to: try repository.git.createCommit(tree: tree.id, parents: [], message: "m\n", author: signature),
                                     message: "test")
        for (flags, mostLent) in [("-adfq", 1), ("-adFq", 0)] {
            let repack = try runProcess("git", ["--git-dir=\(repository.path)", "repack", flags])
            #expect(repack.status == 0, "\(repack.stderr)")
            let packs = StoredPackObjects(packDirectory: repository.packDirectory)
            let database = try repository.git.objectDatabase()
            var lent = 0
            for blob in blobs {
                if let bytes = packs.storedBlob(blob.id) {
                    #expect(Array(bytes) == blob.content)
                    lent += 1
                }
                #expect(try database.read(blob.id) == blob.content)
            }
            #expect(lent <= mostLent, "git repack \(flags)")
        }
    }

    /// Something planted in the pack folder under a pack's name — a FIFO, which opening would
    /// wait on for a writer — is passed over, and the real pack still reads.
    @Test func aFIFONamedLikeAPackIsPassedOver() throws {
        let blob = GitObject(kind: .blob, content: Array("still read".utf8))
        let repository = try packed([blob])
        let stem = repository.packDirectory + "/pack-" + String(repeating: "0", count: 40)
        #expect(mkfifo(stem + ".pack", 0o644) == 0)
        _ = FileManager.default.createFile(atPath: stem + ".idx", contents: Data(count: 2_000))
        let packs = StoredPackObjects(packDirectory: repository.packDirectory)
        #expect(packs.storedBlob(blob.id).map(Array.init) == blob.content)
    }
}
