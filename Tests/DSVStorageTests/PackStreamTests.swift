import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

@Suite struct PackStreamTests {
    /// A blob, a tree and a commit written the way dsv writes them — one pack, then the commit,
    /// then the branch by compare-and-swap — pass `git fsck --strict` and read back through git.
    @Test func blobTreeCommitPassFsck() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let blob = GitObject(kind: .blob, content: Array("hello dsv\n".utf8))
        let big = GitObject(kind: .blob, content: (0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let subtree = GitObject.tree([GitObject.TreeEntry(name: "big", id: big.id, isTree: false)])
        let root = GitObject.tree([
            GitObject.TreeEntry(name: "shards", id: subtree.id, isTree: true),
            GitObject.TreeEntry(name: "hello.txt", id: blob.id, isTree: false),
        ])
        let pack = try repository.newPack()
        [blob, big, subtree, root, blob].forEach { pack.add($0) }
        #expect(pack.count == 4)
        let database = try repository.git.objectDatabase()
        let written = try pack.finish()
        #expect(written.objects == 4)
        let again = try repository.newPack()
        [blob, big, subtree, root].forEach { again.add($0) }
        #expect(try again.finish().objects == 0, "objects already stored are not written again")

        let signature = GitSignature(name: "Test", email: "test@example.com", time: 1_700_000_000, offsetMinutes: 60)
        let commit = try repository.git.createCommit(tree: root.id, parents: [], message: "first\n", author: signature)
        try repository.advanceBranch(from: nil, to: commit, message: "test")
        #expect(try repository.head() == commit)

        let fsck = try gitFsck(repository.path)
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
        let show = try runProcess("git", ["--git-dir=\(repository.path)", "show", "HEAD:hello.txt"])
        #expect(show.stdout == "hello dsv\n")
        let hash = try runProcess("git", ["--git-dir=\(repository.path)", "rev-parse", "HEAD:shards/big"])
        #expect(hash.stdout == big.id.hex + "\n")
        #expect(try database.read(big.id) == big.content)
    }

    /// An object already stored is skipped wherever it is — in a pack, or loose (as the few
    /// small objects of a commit can be) — and only new ones are written, including one whose
    /// fan-out folder holds other loose objects.
    @Test func objectsStoredLooseOrPackedAreSkipped() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let blobs = (0..<40).map { GitObject(kind: .blob, content: Array("blob \($0)\n".utf8)) }
        let packed = try repository.newPack()
        blobs[..<10].forEach { packed.add($0) }
        #expect(try packed.finish().objects == 10)
        let database = try repository.git.objectDatabase()
        for blob in blobs[10..<20] { try database.write(type: 3, content: blob.content) }
        // A new object beside a loose one: same first byte, so its folder exists.
        let sharing = (100..<10_000).lazy.map { GitObject(kind: .blob, content: Array("other \($0)\n".utf8)) }
            .first { $0.id.firstByte == blobs[15].id.firstByte }!

        let pack = try repository.newPack()
        (blobs + [sharing]).forEach { pack.add($0) }
        #expect(try pack.finish().objects == 21, "the 20 new blobs and the one beside a loose object")
        for blob in blobs + [sharing] { #expect(try database.read(blob.id) == blob.content) }
        let fsck = try gitFsck(repository.path)
        #expect(fsck.status == 0, "\(fsck.stdout)\(fsck.stderr)")
    }

    /// A repository that borrows another's objects (`objects/info/alternates`, as
    /// `git clone --shared` makes) has them already: they are not written again.
    @Test func objectsOfAnAlternateAreSkipped() throws {
        let dir = TemporaryDirectory()
        let lender = try DatasetRepository.create(in: dir.path + "/lender")
        let borrower = try DatasetRepository.create(in: dir.path + "/borrower")
        let blobs = (0..<6).map { GitObject(kind: .blob, content: Array("lent \($0)\n".utf8)) }
        let lent = try lender.newPack()
        blobs[..<3].forEach { lent.add($0) }
        try lent.finish()
        try FileSystem.write(Array((lender.path + "/objects\n").utf8), to: borrower.path + "/objects/info/alternates")

        let pack = try borrower.newPack()
        blobs.forEach { pack.add($0) }
        #expect(try pack.finish().objects == 3, "only the three the lender does not have")
        let database = try borrower.git.objectDatabase()
        for blob in blobs { #expect(try database.read(blob.id) == blob.content) }
    }

    /// Packs over 2 GiB need the index's large-offset table; check the index format on a pack
    /// with many objects against git's own reader instead.
    @Test func indexListsEveryObjectForGit() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let pack = try repository.newPack()
        let blobs = (0..<3000).map { GitObject(kind: .blob, content: Array("object \($0)\n".utf8)) }
        DispatchQueue.concurrentPerform(iterations: 4) { part in
            for blob in blobs[part * 750..<(part + 1) * 750] { pack.add(blob) }
        }
        try pack.finish()
        let verify = try runProcess("sh", ["-c", "git verify-pack -v \(repository.path)/objects/pack/*.idx | grep -c ' blob '"])
        #expect(verify.stdout == "3000\n", "\(verify.stderr)")
        let cat = try runProcess("git", ["--git-dir=\(repository.path)", "cat-file", "-p", blobs[1234].id.hex])
        #expect(cat.stdout == "object 1234\n")
    }

    /// Handed to the disk part-way — a commit does so once its shards are written, then adds its
    /// trees and commit — the pack takes more objects after, and git reads every one of them.
    @Test func aPackSyncedPartWayTakesMoreObjects() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let pack = try repository.newPack()
        let text = { (index: Int) in "object \(index)\n" + String(repeating: Character(Unicode.Scalar(UInt8(33 + index % 90))), count: 5000) }
        let blobs = (0..<400).map { GitObject(kind: .blob, content: Array(text($0).utf8)) }
        blobs[..<300].forEach { pack.add($0) }
        pack.startSyncing()
        blobs[300...].forEach { pack.add($0) }
        pack.startSyncing()
        #expect(try pack.finish().objects == 400)
        let verify = try runProcess("sh", ["-c", "git verify-pack -v \(repository.path)/objects/pack/*.idx | grep -c ' blob '"])
        #expect(verify.stdout == "400\n", "\(verify.stderr)")
        for index in [0, 299, 300, 399] {
            let cat = try runProcess("git", ["--git-dir=\(repository.path)", "cat-file", "blob", blobs[index].id.hex])
            #expect(cat.stdout == text(index), "object \(index)")
        }
    }

    /// A pack that is not finished — the commit failed, or found nothing new — leaves nothing
    /// behind, and neither does one with no new object.
    @Test func anUnfinishedPackLeavesNothing() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let packs = repository.path + "/objects/pack"
        do {
            let pack = try repository.newPack()
            pack.add(GitObject(kind: .blob, content: Array(repeating: 7, count: 3 << 20)))
            #expect(pack.count == 1)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: packs).isEmpty)
        #expect(try repository.newPack().finish().objects == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: packs).isEmpty)
    }

    @Test func compareAndSwapRefusesAStaleOldValue() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let tree = GitObject.tree([])
        let pack = try repository.newPack()
        pack.add(tree)
        try pack.finish()
        let signature = GitSignature(name: "T", email: "t@e", time: 1, offsetMinutes: 0)
        let first = try repository.git.createCommit(tree: tree.id, parents: [], message: "1", author: signature)
        let second = try repository.git.createCommit(tree: tree.id, parents: [first], message: "2", author: signature)
        try repository.advanceBranch(from: nil, to: first, message: "1")
        #expect(throws: RepositoryError.self) { try repository.advanceBranch(from: nil, to: second, message: "x") }
        #expect(throws: RepositoryError.self) { try repository.advanceBranch(from: second, to: first, message: "x") }
        try repository.advanceBranch(from: first, to: second, message: "2")
        #expect(try repository.head() == second)
    }

    /// Tree entries come out in git's order — by name, a tree's name as if it ended in '/' —
    /// whether given in order or not, names that are prefixes of others included.
    @Test func treesAreInGitsOrder() throws {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab-0.zA".utf8)
        for round in 0..<50 {
            var seen = Set<String>()
            var entries: [GitObject.TreeEntry] = []
            while entries.count < 40 {
                let length = Int.random(in: 1...4, using: &generator)
                let name = String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self)
                guard seen.insert(name).inserted else { continue }
                let id = GitObject(kind: .blob, content: Array("\(round) \(name)".utf8)).id
                entries.append(GitObject.TreeEntry(name: name, id: id, isTree: Bool.random(using: &generator)))
            }
            let expected = entries.sorted {
                (Array($0.name.utf8) + ($0.isTree ? [UInt8(ascii: "/")] : [])).lexicographicallyPrecedes(Array($1.name.utf8) + ($1.isTree ? [UInt8(ascii: "/")] : []))
            }
            var content: [UInt8] = []
            for entry in expected {
                content += Array((entry.isTree ? "40000 " : "100644 ").utf8) + Array(entry.name.utf8) + [0]
                entry.id.withBytes { content += $0 }
            }
            #expect(GitObject.tree(entries.shuffled(using: &generator)).content == content)
            #expect(GitObject.tree(expected).content == content)
        }
    }
}
