import ArgumentParser
import DSVDataset
import DSVStorage

struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record COCO exports as a new version.",
        discussion: """
            Several exports (one per CVAT job) are merged into one version: images by file_name, \
            categories by name. A CVAT export zip (or the folder it extracts to) is read as it is: every \
            annotations/*.json inside. \
            Subsets (splits) come from the file names (instances_Train.json is subset Train) or from \
            --subset; files of one subset merge, different subsets stay apart. With --images (or a prefix remembered from an earlier commit), every \
            image is pinned to its S3 object (ETag, size, VersionId) by listing the prefix. \
            Committing content identical to the current version makes no commit.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: ArgumentHelp("COCO JSON files, CVAT export zips, or folders they were extracted to.", valueName: "EXPORT"))
    var exports: [String]

    @Option(help: ArgumentHelp("The subset (split) of the loose JSON files, e.g. Train; default: from the file names "
                               + "(<task>_<subset>.json), else the previous version's only subset, else \"default\".",
                               valueName: "NAME"))
    var subset: String?

    @Option(name: .shortAndLong, help: "The version's message, e.g. \"round 7\".")
    var message: String

    @Option(help: ArgumentHelp("Where the images are: s3://bucket/prefix/ (remembered for later commits).", valueName: "S3-PREFIX"))
    var images: String?

    @Flag(help: "Commit even when some images have no object under the prefix.")
    var allowMissing = false

    @OptionGroup var s3: S3Options

    func validate() throws {
        if exports.isEmpty { throw ValidationError("give at least one EXPORT to commit") }
        if message.allSatisfy(\.isWhitespace) { throw ValidationError("the message (-m) must not be empty") }
        if let images { _ = try S3Location(url: images) }
        if let subset, let problem = Subset.problem(subset) { throw ValidationError("--subset: \(problem)") }
    }

    func run() throws {
        // The exports first: their SHA-256 starts at once, while libgit2 starts and the
        // repository is read.
        let paths = exports.map(repository.resolve)
        let opened = try ExportInput.open(paths, subset: subset)
        let repo = try repository.open()
        let prefix = try images ?? repo.setting("images")
        let request = CommitOperation.Request(exports: paths, message: message,
                                              imagesPrefix: prefix, s3: try prefix.map { _ in try s3.configuration() },
                                              allowMissing: allowMissing, subset: subset)
        let branch = (try? repo.currentBranch()).map(DatasetRepository.branchName) ?? DatasetRepository.defaultBranch
        switch try CommitOperation.run(request, in: repo, opened: opened) {
        case .nothingChanged(let head):
            print("nothing changed: the exports match \(head.short) on \(branch); no commit made")
        case .committed(let commit, let summary, let objects, let bytes, let missing):
            print("[\(branch) \(commit.short)] \(message.split(separator: "\n").first ?? "")")
            print("  \(VersionText.counts(summary))")
            if let subsets = VersionText.subsets(summary) { print("  subsets: \(subsets)") }
            print("  manifest \(summary.manifest)")
            print("  stored \(VersionText.count(objects, "new object")) (\(VersionText.bytes(bytes)))")
            if let prefix = summary.imagesPrefix {
                print("  pinned \(summary.objectsPinned.formatted) of \(summary.images.formatted) images in \(prefix)")
                if !missing.isEmpty { print("  \(VersionText.count(missing.count, "image")) without an object (--allow-missing)") }
            } else {
                print("  no images prefix: this version pins no S3 objects")
            }
        }
    }
}

/// How to reach S3 (the AWS environment variables; see the user guide).
struct S3Options: ParsableArguments {
    @Flag(help: "Do not sign requests (public buckets).")
    var noSignRequest = false

    @Option(help: ArgumentHelp("The AWS profile of ~/.aws/credentials and ~/.aws/config (instead of AWS_PROFILE).",
                               valueName: "NAME"))
    var profile: String?

    func configuration() throws -> S3Configuration {
        try S3Configuration.fromEnvironment(signRequests: !noSignRequest, profile: profile)
    }
}
