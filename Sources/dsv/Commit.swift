import ArgumentParser
import DSVDataset
import DSVStorage

struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record COCO exports as a new version.",
        discussion: """
            Several exports (one per CVAT job) are merged into one version: images by file_name, \
            categories by name. Committing content identical to the current version makes no commit.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: ArgumentHelp("COCO JSON files exported from CVAT.", valueName: "EXPORT"))
    var exports: [String]

    @Option(name: .shortAndLong, help: "The version's message, e.g. \"round 7\".")
    var message: String

    func validate() throws {
        if exports.isEmpty { throw ValidationError("give at least one EXPORT to commit") }
        if message.allSatisfy(\.isWhitespace) { throw ValidationError("the message (-m) must not be empty") }
    }

    func run() throws {
        let repo = try repository.open()
        let request = CommitOperation.Request(exports: exports.map(repository.resolve), message: message)
        let branch = (try? repo.currentBranch()).map { String($0.dropFirst("refs/heads/".count)) } ?? "main"
        switch try CommitOperation.run(request, in: repo) {
        case .nothingChanged(let head):
            print("nothing changed: the exports match \(head.short) on \(branch); no commit made")
        case .committed(let commit, let summary, let objects, let bytes):
            print("[\(branch) \(commit.short)] \(message.split(separator: "\n").first ?? "")")
            print("  \(VersionText.counts(summary))")
            print("  manifest \(summary.manifest)")
            print("  stored \(VersionText.count(objects, "new object")) (\(VersionText.bytes(bytes)))")
            if summary.imagesPrefix == nil {
                print("  no images prefix: this version pins no S3 objects")
            }
        }
    }
}
