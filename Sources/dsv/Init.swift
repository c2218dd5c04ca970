import ArgumentParser
import DSVStorage

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an empty dsv repository (DIR/.dsv).",
        discussion: "The repository is a bare git repository; dsv's settings live in its git config under [dsv].")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The folder to create the repository in (default: the current folder).")
    var directory: String?

    func run() throws {
        let target = directory.map { path in
            path.hasPrefix("/") || repository.directory == nil ? path : joinPath(repository.workingDirectory, path)
        } ?? repository.workingDirectory
        let created = try DatasetRepository.create(in: target)
        print("Initialized empty dsv repository in \(created.path)")
    }
}
