import ArgumentParser
import DSVDataset
import DSVStorage

struct Materialize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "materialize",
        abstract: "Download a version's images from S3 into a folder, exactly as pinned.",
        discussion: """
            Each image is fetched by its pinned VersionId or ETag, checked, kept in a content cache and \
            linked into DIR/<file_name>. A rerun, or the next version, downloads only what is new. \
            Exit 1 when an object changed in S3 since the commit or is gone; its file is not written.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The version.")
    var revision: String = "HEAD"

    @Option(name: [.customLong("out"), .short], help: ArgumentHelp("The folder to write the images to.", valueName: "DIR"))
    var output: String

    @Option(name: .short, help: ArgumentHelp("Transfers in flight.", valueName: "N"))
    var jobs: Int = 64

    @Option(help: MaterializeText.cacheHelp)
    var cache: String?

    @Option(help: ArgumentHelp("Only the I-th of N equal parts of the images (1 ≤ I ≤ N), for multi-node training; auto: "
                               + "the part the launcher's variables say (\(MaterializeText.launcherNames)).", valueName: "I/N|auto"))
    var shard: String?

    @Option(help: ArgumentHelp("Only the images of this subset, e.g. Train.", valueName: "NAME"))
    var subset: String?

    @Flag(help: "Print a JSON summary: files, downloaded, from_cache, already_present, bytes_downloaded, changed, missing.")
    var json = false

    @OptionGroup var s3: S3Options

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("-j must be at least 1") }
        if let shard, case .failure(let error) = MaterializeOperation.Shard.parse(shard) {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        let repo = try repository.open()
        let version = try StoredVersion(repository: repo, commitID: try repo.resolve(revision))
        let request = MaterializeOperation.Request(
            output: repository.resolve(output), cache: cache.map(repository.resolve) ?? ObjectCache.defaultRoot,
            concurrency: jobs, shard: try shard.map { try MaterializeOperation.Shard.parse($0).get() }, subset: subset)
        let bar = ProgressBar()
        let report = try MaterializeOperation.run(version, s3: s3.configuration(), request: request, progress: bar.update)
        bar.finish()
        if json {
            print(JSONValue.object((report.json.objectValue ?? []) + [("shard", request.shard?.json ?? .null)]).pretty)
        } else {
            for line in MaterializeText.lines(report, noun: "file", place: "in \(request.output)", subset: request.subset,
                                              shard: request.shard) {
                print(line)
            }
        }
        if !report.isComplete { throw ExitCode(ExitStatus.problemsFound) }
    }
}
