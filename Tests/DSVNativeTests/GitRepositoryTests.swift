import DSVNative
import DSVTestSupport
import Testing

@Suite struct GitRepositoryTests {
    @Test func bareRepositoryIsAcceptedByGit() throws {
        let dir = TemporaryDirectory()
        let repository = try GitRepository.createBare(at: dir.file("repo.git"), initialBranch: "main")
        #expect(try repository.headBranch() == "refs/heads/main")
        #expect(try repository.referenceTarget("refs/heads/main") == nil)
        let fsck = try gitFsck(dir.file("repo.git"))
        #expect(fsck.status == 0, "\(fsck.stderr)")
    }

    @Test func openingAMissingRepositoryIsATypedError() throws {
        let dir = TemporaryDirectory()
        #expect(throws: GitError.self) { try GitRepository.open(at: dir.file("nothing")) }
    }

    @Test func configurationRoundTrips() throws {
        let dir = TemporaryDirectory()
        let repository = try GitRepository.createBare(at: dir.file("r"), initialBranch: "main")
        try repository.configuration().set("dsv.images", to: "s3://bucket/prefix/")
        #expect(try repository.configuration().string("dsv.images") == "s3://bucket/prefix/")
        #expect(try repository.configuration().string("dsv.nothing") == nil)
        let git = try runProcess("git", ["--git-dir=\(dir.file("r"))", "config", "dsv.images"])
        #expect(git.stdout == "s3://bucket/prefix/\n")
    }

    @Test func unknownRevisionIsNotFound() throws {
        let dir = TemporaryDirectory()
        let repository = try GitRepository.createBare(at: dir.file("r"), initialBranch: "main")
        do {
            _ = try repository.resolveCommit("nope")
            Issue.record("expected an error")
        } catch {
            #expect(error.isNotFound)
        }
    }
}
