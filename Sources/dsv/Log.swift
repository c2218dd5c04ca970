import ArgumentParser
import DSVDataset
import DSVStorage

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "List versions, newest first.")

    @OptionGroup var repository: RepositoryOptions

    @Option(name: .customShort("n"), help: "Show at most N versions.")
    var limit: Int?

    @Flag(help: "One line a version: its short id, tags, the message's first line and its counts (as `git log --oneline`).")
    var oneline = false

    @Flag(help: "Print JSON.")
    var json = false

    @Argument(help: "Start from this version (default HEAD).")
    var revision: String = "HEAD"

    func validate() throws {
        if oneline && json { throw ValidationError("--oneline or --json, not both") }
        if let limit, limit < 0 { throw ValidationError("-n must be at least 0") }
    }

    func run() throws {
        let repo = try repository.open()
        var next: GitObjectID? = try repo.resolve(revision)
        var versions: [StoredVersion] = []
        while let id = next, versions.count < (limit ?? Int.max) {
            let version = try StoredVersion(repository: repo, commitID: id)
            versions.append(version)
            next = version.commit.parents.first
        }
        let tags = Dictionary(grouping: try repo.tags(), by: \.commit).mapValues { $0.map(\.name) }
        if json {
            print(JSONValue.array(versions.map { VersionJSON.brief($0, tags: tags[$0.commit.id] ?? []) }).pretty)
            return
        }
        for (index, version) in versions.enumerated() {
            let names = tags[version.commit.id].map { " (tag: \($0.joined(separator: ", tag: ")))" } ?? ""
            if oneline {
                print(Style.commit(version.commit.id.short) + Style.tag(names)
                      + " \(CommitMessage.subject(version.message)) — \(VersionText.counts(version.summary))")
                continue
            }
            if index > 0 { print() }
            print(Style.commit("commit \(version.commit.id.hex)") + Style.tag(names))
            print("Author: \(version.commit.author.name) <\(version.commit.author.email)>")
            print("Date:   \(version.commit.author.displayedTime)")
            print()
            for line in version.message.split(separator: "\n", omittingEmptySubsequences: false) { print("    \(line)") }
            print()
            print("    \(VersionText.counts(version.summary))")
            if let cvat = version.summary.cvat { print("    from \(cvat.headline)") }
        }
    }
}
