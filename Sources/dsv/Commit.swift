import ArgumentParser
import DSVDataset
import DSVStorage

struct Commit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "commit",
        abstract: "Record COCO exports as a new version — or a round's completed jobs straight from CVAT.",
        discussion: """
            An EXPORT is a CVAT URL, as the browser shows it (…/projects/3, …/tasks/12, …/tasks/12/jobs/45): \
            every completed annotation job is exported from CVAT (only those that changed since the last \
            round: the rest come from the repository's cache), in its task's subset, with where it came \
            from recorded in the version, and its images pinned in the task's S3 cloud storage. \
            An EXPORT is also a COCO JSON file, a CVAT export zip, or the folder a zip extracts to. \
            Several exports (one per CVAT job) are merged into one version: images by file_name, \
            categories by name. Subsets (splits) come from the file names (instances_Train.json is subset \
            Train) or from --subset; files of one subset merge, different subsets stay apart. With --images \
            (or a prefix remembered from an earlier commit), every image is pinned to its S3 object (ETag, \
            size, VersionId) by listing the prefix. Committing content identical to the current version \
            makes no commit.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: ArgumentHelp("CVAT project, task or job URLs; COCO JSON files (- for standard input), CVAT export zips, or folders they were extracted to.",
                                 valueName: "EXPORT"))
    var exports: [String]

    @Option(help: ArgumentHelp("The subset (split) of the loose JSON files, e.g. Train; default: from the file names "
                               + "(<task>_<subset>.json), else the previous version's only subset, else \"default\".",
                               valueName: "NAME"))
    var subset: String?

    @Option(name: .shortAndLong, help: "The version's message, e.g. \"round 7\".")
    var message: String

    @Option(help: ArgumentHelp("Where the images are: s3://bucket/prefix/ (remembered for later commits; for a CVAT URL, "
                               + "instead of the tasks' cloud storage).", valueName: "S3-PREFIX"))
    var images: String?

    @Flag(help: "Commit even when some images have no object under the prefix.")
    var allowMissing = false

    @OptionGroup var s3: S3Options

    @OptionGroup(title: "CVAT") var cvat: CVATOptions

    func validate() throws {
        if exports.isEmpty { throw ValidationError("give at least one EXPORT to commit") }
        if message.allSatisfy(\.isWhitespace) { throw ValidationError("the message (-m) must not be empty") }
        if let images { _ = try S3Location(url: images) }
        if let subset, let problem = Subset.problem(subset) { throw ValidationError("--subset: \(problem)") }
    }

    func run() throws {
        let (urls, files) = try CVATOptions.split(exports)
        // The files first: their SHA-256 starts at once, while libgit2 starts and the repository
        // is read. A round from CVAT needs the repository's export cache before its files exist.
        let paths = files.map(repository.resolveExport)
        var sources = paths.map { ExportSource(path: $0) }
        let earlyOpened = urls.isEmpty ? try ExportInput.open(sources, subset: subset) : nil
        let repo = try repository.open()
        var request = CommitOperation.Request(exports: paths, message: message, imagesPrefix: try images ?? repo.setting("images"),
                                              allowMissing: allowMissing, subset: subset)
        var round: CVATRound.Fetched?
        if !urls.isEmpty {
            let fetched: CVATRound.Fetched
            do { fetched = try cvat.fetch(urls, imagesGiven: images != nil, in: repo) } catch let error as CVATError { throw CommitError.cvat(error) }
            sources += fetched.sources
            request.take(fetched)
            round = fetched
        }
        if request.imagesPrefix != nil {
            // S3's endpoint and region default to those of the CVAT cloud storage pinned from.
            let storage = round?.pinning?.storage
            request.s3 = try s3.configuration(defaultEndpoint: storage?.endpointURL, defaultRegion: storage?.region)
        }
        let opened = try earlyOpened ?? ExportInput.open(sources, subset: subset)
        let branch = (try? repo.currentBranch()).map(DatasetRepository.branchName) ?? DatasetRepository.defaultBranch
        let outcome = try CommitOperation.run(request, in: repo, opened: opened)
        switch outcome {
        case .nothingChanged(let head, let shared):
            if let round { CVATOptions.report(round, sharedImages: shared) }
            print("nothing changed: the exports match \(head.short) on \(branch); no commit made")
        case .committed(let made):
            if let round { CVATOptions.report(round, sharedImages: made.sharedImages) }
            let summary = made.summary
            print("[\(branch) \(made.commit.short)] \(CommitMessage.subject(message))")
            print("  \(VersionText.counts(summary))")
            if let subsets = VersionText.subsets(summary) { print("  subsets: \(subsets)") }
            print("  manifest \(summary.manifest)")
            print("  stored \(VersionText.count(made.objectsWritten, "new object")) (\(VersionText.bytes(made.bytesWritten)))")
            if let prefix = summary.imagesPrefix {
                print("  pinned \(summary.objectsPinned.formatted) of \(VersionText.count(summary.images, "image")) in \(prefix)")
                if !made.missingObjects.isEmpty {
                    print("  \(VersionText.count(made.missingObjects.count, "image")) without an object (--allow-missing)")
                }
            } else {
                print("  no images prefix: this version pins no S3 objects")
            }
        }
        round?.pruneCache()
    }
}

/// How to reach S3 (the AWS environment variables; see the user guide).
struct S3Options: ParsableArguments {
    @Flag(help: "Do not sign requests (public buckets).")
    var noSignRequest = false

    @Option(help: ArgumentHelp("The AWS profile of ~/.aws/credentials and ~/.aws/config (instead of AWS_PROFILE).",
                               valueName: "NAME"))
    var profile: String?

    /// - Parameters: defaultEndpoint, defaultRegion: where the images are when the environment
    ///   and the profile say nothing (a CVAT cloud storage's endpoint and region).
    func configuration(defaultEndpoint: String? = nil, defaultRegion: String? = nil) throws(S3Error) -> S3Configuration {
        try S3Configuration.fromEnvironment(signRequests: !noSignRequest, profile: profile,
                                            defaultEndpoint: defaultEndpoint, defaultRegion: defaultRegion)
    }
}
