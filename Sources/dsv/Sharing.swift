import ArgumentParser
import DSVDataset
import DSVStorage

struct Remote: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "List the git remotes that versions are shared through, or add one.",
        subcommands: [RemoteList.self, RemoteAdd.self], defaultSubcommand: RemoteList.self)
}

struct RemoteList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List remotes (the default).")

    @OptionGroup var repository: RepositoryOptions

    @Flag(name: .shortAndLong, help: "Show each remote's URL.")
    var verbose = false

    @Flag(help: "Print JSON: a list of {name, url}.")
    var json = false

    func run() throws {
        let remotes = try repository.open().remotes()
        if json {
            print(JSONValue.array(remotes.map { .object([("name", .string($0.name)), ("url", .string($0.printableURL))]) }).pretty)
            return
        }
        for remote in remotes {
            if verbose {
                print("\(remote.name)\t\(remote.printableURL) (fetch)")
                print("\(remote.name)\t\(remote.printablePushURL) (push)")
            } else {
                print(remote.name)
            }
        }
    }
}

struct RemoteAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a remote: any git URL (a path, file://, git://, https://, ssh://).")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The remote's name, e.g. origin.")
    var name: String

    @Argument(help: "The git URL.")
    var url: String

    func run() throws {
        try repository.open().addRemote(name: name, url: url)
    }
}

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Send the current branch's versions to a git remote.",
        discussion: "A push that would drop versions the remote has is refused unless --force.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The remote.")
    var remote: String = "origin"

    @Flag(help: "Push every tag too.")
    var tags = false

    @Flag(help: "Overwrite the remote's branch even when that drops versions.")
    var force = false

    func run() throws {
        let repo = try repository.open()
        let bar = ProgressBar()
        let outcome = try repo.push(to: remote, tags: tags, force: force) { bar.update($0) }
        bar.finish()
        switch outcome {
        case .upToDate(let head):
            print("\(remote) is up to date (\(head.short))\(tags ? "; tags pushed" : "")")
        case .pushed(let from, let to, let forced):
            print("\(remote): \(from.map { "\($0.short)\(forced ? "..." : "..")" } ?? "new branch → ")\(to.short)\(forced ? " (forced)" : "")\(tags ? "; tags pushed" : "")")
        }
    }
}

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Take a git remote's new versions, by fast-forward.",
        discussion: "When the histories diverged, nothing changes and both heads are named (exit 1).")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The remote.")
    var remote: String = "origin"

    func run() throws {
        let repo = try repository.open()
        let bar = ProgressBar()
        let outcome = try repo.pull(from: remote) { bar.update($0) }
        bar.finish()
        switch outcome {
        case .upToDate(let head): print("already up to date (\(head.short))")
        case .ahead(let head): print("\(head.short) already contains \(remote)'s versions; nothing to pull")
        case .fastForwarded(let from, let to): print("fast-forward \(from.map { "\($0.short).." } ?? "")\(to.short)")
        }
        if let prefix = try ImagesPrefixAdoption.adopt(in: repo) { print("images prefix: \(prefix)") }
    }
}

struct Clone: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone",
        abstract: "Copy a dataset history from a git remote into a new project folder.",
        discussion: "Labels come from git; images stay in S3 and 'dsv materialize' fetches them.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The git URL (or the path of a project folder).")
    var url: String

    @Argument(help: "The folder to create (default: the URL's last component).")
    var directory: String?

    func run() throws {
        let target = repository.resolve(directory ?? DatasetRepository.cloneDirectoryName(for: url))
        let bar = ProgressBar()
        let repo = try DatasetRepository.clone(from: url, into: target) { bar.update($0) }
        bar.finish()
        let prefix = try ImagesPrefixAdoption.adopt(in: repo)
        if let head = try repo.head() {
            let version = try StoredVersion(repository: repo, commitID: head)
            print("cloned into \(target): \(VersionText.counts(version.summary)) at \(head.short)")
        } else {
            print("cloned into \(target): no versions yet")
        }
        if let prefix { print("images prefix: \(prefix)") }
    }
}
