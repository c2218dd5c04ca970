import ArgumentParser
import DSVDataset
import DSVNative
import DSVStorage

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a version's COCO export, exactly as committed.",
        discussion: """
            A compact export comes back byte for byte; any export comes back with every number, string \
            and order as it was. -o FILE writes one subset (--subset NAME when the version has several); \
            -o DIR/ (a trailing slash or an existing folder) lays every subset out as CVAT does: \
            DIR/annotations/<task>_<subset>.json.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The version: HEAD, a tag, a commit id, HEAD~1, …")
    var revision: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write: a file, or a folder (DIR/) for every subset.",
                                                    valueName: "FILE|DIR/"))
    var output: String

    @Option(help: ArgumentHelp("The subset to write, e.g. Train.", valueName: "NAME"))
    var subset: String?

    func run() throws {
        let repo = try repository.open()
        let version = try StoredVersion(repository: repo, commitID: try repo.resolve(revision))
        let path = repository.resolve(output)
        if output.hasSuffix("/") || FileSystem.isDirectory(path) {
            for (file, subset) in try CheckoutWriter.writeDirectory(version, only: subset, to: path) {
                print("wrote \(file) (\(VersionText.counts(version.summary, subset: subset.name))) from \(version.commit.id.short)")
            }
            return
        }
        try CheckoutWriter.write(version, subset: subset, to: path)
        let counts = version.subsets.count > 1 || subset != nil
            ? VersionText.counts(version.summary, subset: subset ?? version.subsets[0].name) : VersionText.counts(version.summary)
        print("wrote \(path) (\(counts)) from \(version.commit.id.short)")
    }
}
