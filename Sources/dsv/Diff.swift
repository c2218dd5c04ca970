import ArgumentParser
import DSVDataset
import DSVStorage

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show what changed between two versions, image by image and annotation by annotation.",
        discussion: """
            With no revision: the last version against its parent. With one: that version against HEAD \
            (`A..B` is A against B, `A...B` where B's history left A's against B, as in git). \
            Images are matched by file_name and categories by name; ids are not identity. Annotations \
            are matched by content, then paired by box IoU ≥ 0.5 within a category (modified), then by \
            identical geometry across categories (relabeled). Only shards that differ are read.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The old version (default HEAD~1), or a range A..B or A...B.")
    var from: String?

    @Argument(help: "The new version (default HEAD).")
    var to: String?

    @OptionGroup var options: DiffOptions

    func run() throws {
        let trace = Trace()
        let repo = try repository.open()
        if from == nil, let head = try repo.head(), try repo.git.commit(head).parents.isEmpty {
            throw ValidationError("HEAD is the first version: there is nothing before it to compare; try 'dsv show' or 'dsv diff REV1 REV2'")
        }
        let (oldRevision, newRevision) = try ends(in: repo)
        let old = try StoredVersion(repository: repo, commitID: oldRevision.id)
        let new = try StoredVersion(repository: repo, commitID: newRevision.id)
        trace.mark("open the repository and both versions")
        let diff = try VersionDiff.between(old, new)
        LeftForExit.keep(diff)
        trace.mark("diff")
        try options.report(diff, title: "diff \(oldRevision.name) (\(old.commit.id.short)) → \(newRevision.name) (\(new.commit.id.short))",
                           headers: { try (new.headers() + old.headers()).map(\.header) }, resolve: repository.resolve)
        trace.mark("report")
    }

    /// The versions compared, as the arguments name them: none, one, two, or a range.
    private func ends(in repo: DatasetRepository) throws -> (old: DatasetRepository.NamedRevision, new: DatasetRepository.NamedRevision) {
        if to == nil, let from, let range = try repo.resolveRange(from) { return range }
        let (a, b) = switch (from, to) {
        case (nil, _): ("HEAD~1", "HEAD")
        case (let a?, nil): (a, "HEAD")
        case (let a?, let b?): (a, b)
        }
        return ((a, try repo.resolve(a)), (b, try repo.resolve(b)))
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what an export — or a round in CVAT — would change against the current version, before committing.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: ArgumentHelp("CVAT URLs, COCO JSON files or CVAT export zips, as 'dsv commit' takes them.", valueName: "EXPORT"))
    var exports: [String]

    @Option(help: ArgumentHelp("The subset of the loose JSON files, as 'dsv commit --subset' takes it.", valueName: "NAME"))
    var filesSubset: String?

    @OptionGroup var options: DiffOptions

    @OptionGroup(title: "CVAT") var cvat: CVATOptions

    func validate() throws {
        if exports.isEmpty { throw ValidationError("give the EXPORT files to compare with HEAD") }
        if let filesSubset, let problem = Subset.problem(filesSubset) { throw ValidationError("--files-subset: \(problem)") }
    }

    func run() throws {
        let (urls, files) = try CVATOptions.split(exports)
        let repo = try repository.open()
        let head = try repo.head().map { try StoredVersion(repository: repo, commitID: $0) }
        var sources = files.map { ExportSource(path: repository.resolveExport($0)) }
        // A round from CVAT: its jobs' exports (fetched or from the cache); the images keep the
        // pins HEAD has, as for files.
        if !urls.isEmpty { sources += try cvat.fetch(urls, imagesGiven: true, in: repo).sources }
        let diff = try StatusOperation.run(sources: sources, subset: filesSubset, against: head, in: repo, leaving: LeftForExit.keep)
        LeftForExit.keep(diff)
        try options.report(diff, title: "status: \(exports.map(RepositoryOptions.exportLabel).joined(separator: " ")) against HEAD (\(head?.commit.id.short ?? "no versions yet"))",
                           headers: { try head?.headers().map(\.header) ?? [] }, resolve: repository.resolve)
    }
}
