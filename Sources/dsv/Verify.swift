import ArgumentParser
import DSVDataset
import DSVStorage

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check, without downloading, that S3 still holds every image a version pins.",
        discussion: "Exit 1 when an object is missing or changed since the commit.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The version.")
    var revision: String = "HEAD"

    @Flag(help: "Print JSON: checked, missing, changed.")
    var json = false

    @OptionGroup var s3: S3Options

    func run() throws {
        let repo = try repository.open()
        let version = try StoredVersion(repository: repo, commitID: try repo.resolve(revision))
        let report = try VerifyOperation.run(version, s3: s3.configuration())
        if json {
            print(report.json.pretty)
        } else {
            for key in report.missing { print(Style.removed("missing  \(TerminalText.name(key))")) }
            for key in report.changed { print(Style.modified("changed  \(TerminalText.name(key))  (changed in S3 since commit)")) }
            print("checked \(VersionText.count(report.checked, "object")) in \(version.summary.imagesPrefix ?? ""): "
                + "\(report.missing.count.formatted) missing, \(report.changed.count.formatted) changed")
        }
        if !report.isClean { throw ExitCode(ExitStatus.problemsFound) }
    }
}
