import ArgumentParser
import DSVDataset
import DSVStorage

struct Tag: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Name a version, e.g. `dsv tag round7`.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The tag's name; without one, the tags are listed as `dsv tags` lists them (as `git tag` does).")
    var name: String?

    @Argument(help: "The version to name (default HEAD).")
    var revision: String = "HEAD"

    func run() throws {
        let repo = try repository.open()
        guard let name else {
            try Tags.list(repo, json: false)
            return
        }
        let commit = try repo.resolve(revision)
        try repo.createTag(name, at: commit)
        print("tagged \(commit.short) as \(name)")
    }
}

struct Tags: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tags", abstract: "List tags and the versions they name.")

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try Tags.list(repository.open(), json: json)
    }

    static func list(_ repo: DatasetRepository, json: Bool) throws {
        let tags = try repo.tags()
        if json {
            print(JSONValue.array(tags.map { .object([("name", .string($0.name)), ("commit", .string($0.commit.hex))]) }).pretty)
            return
        }
        let width = tags.map(\.name.count).max() ?? 0
        for tag in tags {
            let version = try StoredVersion(repository: repo, commitID: tag.commit)
            print("\(Style.tag(tag.name.padding(width)))  \(tag.commit.short)  \(CommitMessage.subject(version.message))")
        }
    }
}
