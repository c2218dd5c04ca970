import DSVNative
import DSVStorage
import DSVTestSupport
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
        var pack = PackStream()
        [blob, big, subtree, root, blob].forEach { pack.add($0) }
        #expect(pack.count == 4)
        let database = try repository.git.objectDatabase()
        let written = try repository.store(pack)
        #expect(written.objects == 4)
        #expect(try repository.store(pack).objects == 0, "objects already stored are not written again")

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

    /// Packs over 2 GiB need the index's large-offset table; check the index format on a pack
    /// with many objects against git's own reader instead.
    @Test func indexListsEveryObjectForGit() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        var pack = PackStream()
        let blobs = (0..<3000).map { GitObject(kind: .blob, content: Array("object \($0)\n".utf8)) }
        blobs.forEach { pack.add($0) }
        try repository.store(pack)
        let verify = try runProcess("sh", ["-c", "git verify-pack -v \(repository.path)/objects/pack/*.idx | grep -c ' blob '"])
        #expect(verify.stdout == "3000\n", "\(verify.stderr)")
        let cat = try runProcess("git", ["--git-dir=\(repository.path)", "cat-file", "-p", blobs[1234].id.hex])
        #expect(cat.stdout == "object 1234\n")
    }

    @Test func compareAndSwapRefusesAStaleOldValue() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let tree = GitObject.tree([])
        var pack = PackStream()
        pack.add(tree)
        try repository.store(pack)
        let signature = GitSignature(name: "T", email: "t@e", time: 1, offsetMinutes: 0)
        let first = try repository.git.createCommit(tree: tree.id, parents: [], message: "1", author: signature)
        let second = try repository.git.createCommit(tree: tree.id, parents: [first], message: "2", author: signature)
        try repository.advanceBranch(from: nil, to: first, message: "1")
        #expect(throws: RepositoryError.self) { try repository.advanceBranch(from: nil, to: second, message: "x") }
        #expect(throws: RepositoryError.self) { try repository.advanceBranch(from: second, to: first, message: "x") }
        try repository.advanceBranch(from: first, to: second, message: "2")
        #expect(try repository.head() == second)
    }
}
