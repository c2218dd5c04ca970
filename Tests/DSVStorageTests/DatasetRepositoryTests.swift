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

    @Test func settingsLiveInGitConfig() throws {
        let dir = TemporaryDirectory()
        let repository = try DatasetRepository.create(in: dir.path)
        try repository.setSetting("images", to: "s3://b/p/")
        #expect(try repository.setting("images") == "s3://b/p/")
    }
}
