import ArgumentParser
import DSVDataset
import DSVStorage

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a version's COCO export to a file, exactly as committed.",
        discussion: "A compact export comes back byte for byte; any export comes back with every number, string and order as it was.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The version: HEAD, a tag, a commit id, HEAD~1, …")
    var revision: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the export.", valueName: "FILE"))
    var output: String

    func run() throws {
        let repo = try repository.open()
        let version = try StoredVersion(repository: repo, commitID: try repo.resolve(revision))
        let path = repository.resolve(output)
        try CheckoutWriter.write(version, to: path)
        print("wrote \(path) (\(VersionText.counts(version.summary))) from \(version.commit.id.short)")
    }
}
