import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// A commit composed by dsv (so that it can go into the pack with its version) is the object
/// libgit2's `git_commit_create` writes for the same tree, parents, signature and message —
/// byte for byte, so the same id — and git reads it as it reads libgit2's.
@Suite struct GitCommitObjectTests {
    let dir = TemporaryDirectory()

    @Test(arguments: [
        GitSignature(name: "Ann Example", email: "ann@example.com", time: 1_796_400_000, offsetMinutes: 0),
        // libgit2 trims spaces and some punctuation around name and email.
        GitSignature(name: "  Ann Example. ", email: " 'ann@example.com'; ", time: 1_700_000_000, offsetMinutes: 90),
        GitSignature(name: "Zoë Ñandú", email: "zoe@example.org", time: 86_400, offsetMinutes: -330),
    ])
    func composedAsLibgit2ComposesIt(signature: GitSignature) throws {
        let repository = try DatasetRepository.create(in: dir.path)
        let blob = GitObject(kind: .blob, content: Array("x\n".utf8))
        let tree = GitObject.tree([GitObject.TreeEntry(name: "x", id: blob.id, isTree: false)])
        try repository.storeLoose([blob, tree])
        let database = try repository.git.objectDatabase()
        var parents: [GitObjectID] = []
        for message in ["first\n", "second, with a trailer\n\nDsv-Manifest: sha256:00\n", "no newline"] {
            let byLibgit2 = try repository.git.createCommit(tree: tree.id, parents: parents, message: message, author: signature)
            let composed = try GitObject.commit(tree: tree.id, parents: parents, author: signature, message: message)
            #expect(composed.id == byLibgit2)
            let stored = try database.readObject(byLibgit2)
            #expect(stored.content == composed.content, "\(String(decoding: composed.content, as: UTF8.self))")
            parents = [byLibgit2]
        }
    }

    /// A name or email git cannot write is refused, as libgit2 refuses it.
    @Test func anAngleBracketIsRefused() {
        let tree = GitObject.tree([])
        for signature in [GitSignature(name: "Ann <x>", email: "ann@example.com", time: 0, offsetMinutes: 0),
                          GitSignature(name: "Ann", email: "<ann@example.com>", time: 0, offsetMinutes: 0),
                          GitSignature(name: " .", email: "ann@example.com", time: 0, offsetMinutes: 0)] {
            #expect(throws: GitError.self) { try GitObject.commit(tree: tree.id, parents: [], author: signature, message: "m") }
        }
    }
}
