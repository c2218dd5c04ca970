import DSVStorage
import DSVTestSupport
import Testing

/// The binary itself, as a user runs it.
@Suite struct CommandLineTests {
    @Test func initCreatesARepositoryGitAccepts() throws {
        let dir = TemporaryDirectory()
        let result = try dsv(["init", "data"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Initialized empty dsv repository"))
        #expect(try gitFsck(dir.file("data/.dsv")).status == 0)
        let again = try dsv(["init", "data"], in: dir.path)
        #expect(again.status != 0)
        #expect(again.stderr.hasPrefix("dsv: error: a dsv repository already exists"))
        #expect(again.stderr.split(separator: "\n").count == 1)
    }

    @Test func initWithDashC() throws {
        let dir = TemporaryDirectory()
        let result = try dsv(["init", "-C", dir.file("project")], in: "/")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try gitFsck(dir.file("project/.dsv")).status == 0)
    }

    @Test func versionAndHelp() throws {
        let version = try dsv(["--version"], in: "/")
        #expect(version.status == 0)
        #expect(version.stdout.first?.isNumber == true)
        let help = try dsv(["--help"], in: "/")
        #expect(help.status == 0)
        #expect(help.stdout.contains("init"))
    }

    @Test func usageErrorsExit2WithOneLine() throws {
        for arguments in [["frobnicate"], ["init", "--bogus"], ["init", "a", "b"]] {
            let result = try dsv(arguments, in: "/")
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.hasPrefix("dsv: error: "))
            #expect(!result.stderr.contains("Fatal error"))
        }
    }
}
