import ArgumentParser

/// The root command. Subcommands arrive with the issues that make them work; none is listed
/// before it does.
struct DSV: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "dsv",
        abstract: "Version control for computer-vision datasets: COCO labels in git, images pinned in S3.",
        discussion: """
            Labels (COCO exports of completed CVAT jobs) are committed as versions; images stay in S3 \
            and are pinned by ETag. See Documentation/ for the user guide.
            """,
        version: version,
        subcommands: commandList)

    /// Each names itself (`commandName`): otherwise the argument parser derives every name at
    /// every start with `String(describing:)`, a scan of the binary's protocol conformances —
    /// about a millisecond of each command's run.
    static var commandList: [ParsableCommand.Type] {
        [Init.self, Commit.self, Status.self, Diff.self, Checkout.self, Materialize.self, Verify.self, Log.self, Show.self, Tag.self, Tags.self,
         Remote.self, Push.self, Pull.self, Clone.self, Gc.self]
    }

    /// `dsv` alone prints the help.
    func run() throws { print(DSV.helpMessage()) }
}

/// Options every command that works on a repository takes.
struct RepositoryOptions: ParsableArguments {
    @Option(name: .customShort("C"), help: ArgumentHelp("Run as if dsv was started in DIR.", valueName: "DIR"))
    var directory: String?

    /// The folder the command works from: `-C DIR` or the current directory.
    var workingDirectory: String { directory ?? "." }
}
