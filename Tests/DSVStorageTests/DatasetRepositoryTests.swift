import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

@Suite struct DatasetRepositoryTests {
    @Test func discoveredFromASubfolder() throws {
        let dir = TemporaryDirectory()
        _ = try DatasetRepository.create(in: dir.path)
        try FileManager.default.createDirectory(atPath: dir.file("a/b/c"), withIntermediateDirectories: true)
        let found = try DatasetRepository.discover(from: dir.file("a/b/c"))
        #expect(FileSystem.resolved(found.path) == FileSystem.resolved(dir.file(".dsv")))
    }

    @Test func noRepositoryIsATypedError() throws {
        let dir = TemporaryDirectory()
        do {
            _ = try DatasetRepository.discover(from: dir.path)
            Issue.record("expected notARepository")
        } catch {
            guard case .notARepository = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test func secondWriterFindsTheLockHeld() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let lock = try repository.lockForWriting()
        // flock locks belong to the open file description: a second open in this process conflicts too.
        #expect(throws: RepositoryError.self) { try repository.lockForWriting() }
        lock.release()
        _ = try repository.lockForWriting()
    }

    /// A branch a git command is rewriting (its lock file there while dsv holds its own lock)
    /// is reported as such, and left as it was.
    @Test func aBranchAnotherProcessIsWritingIsReportedAsLocked() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        let tree = GitObject(kind: .tree, content: [])
        let author = GitSignature(name: "t", email: "t@example.com", time: 0, offsetMinutes: 0)
        let commit = try GitObject.commit(tree: tree.id, parents: [], author: author, message: "v1")
        try repository.storeLoose([tree, commit])
        let lock = try repository.lockForWriting()
        defer { lock.release() }
        let lockFile = dir.write(".dsv/refs/heads/main.lock", "")
        do {
            try repository.advanceBranch(from: nil, to: commit.id, message: "t")
            Issue.record("expected referenceLocked")
        } catch {
            guard case .referenceLocked(let branch, let file) = error else { Issue.record("got \(error)"); return }
            #expect(branch == "refs/heads/main" && file == lockFile)
            #expect(error.description.contains("another process is writing refs/heads/main"))
        }
        #expect(try repository.head() == nil)
    }

    @Test func settingsLiveInGitConfig() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        try repository.setSetting("images", to: "s3://b/p/")
        #expect(try repository.setting("images") == "s3://b/p/")
    }
}
