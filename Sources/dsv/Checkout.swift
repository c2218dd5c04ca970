import ArgumentParser
import DSVDataset
import DSVStorage

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout",
        abstract: "Write a version's COCO export, exactly as committed — for training, with its images.",
        discussion: """
            A compact export comes back byte for byte; any export comes back with every number, string \
            and order as it was. -o FILE writes one subset (--subset NAME when the version has several); \
            -o DIR/ (a trailing slash or an existing folder) lays every subset out as CVAT does: \
            DIR/annotations/<task>_<subset>.json. With --images, every image too, pinned and verified, at \
            DIR/images/<subset>/<file_name> — the layout of CVAT's COCO 1.0 export with images, which \
            Datumaro, torchvision, Detectron2 and mmdetection read. --zip FILE.zip writes the same as a zip \
            (atomically), one that CVAT's annotation upload and dsv commit take back.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The version: HEAD, a tag, a commit id, HEAD~1, …")
    var revision: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write: a file (- for the standard output), or a folder (DIR/) for every subset.",
                                                    valueName: "FILE|DIR/"))
    var output: String?

    @Option(help: ArgumentHelp("Write the version as a CVAT export zip instead: annotations/ (and images/ with --images).",
                               valueName: "FILE.zip"))
    var zip: String?

    @Option(help: ArgumentHelp("The subset to write, e.g. Train.", valueName: "NAME"))
    var subset: String?

    @Flag(help: "Every image of the version too, at images/<subset>/<file_name> (as materialize fetches them).")
    var images = false

    @Option(name: .short, help: ArgumentHelp("Image transfers in flight.", valueName: "N"))
    var jobs: Int = 64

    @Option(help: MaterializeText.cacheHelp)
    var cache: String?

    @Option(help: ArgumentHelp("Only the I-th of N parts of the images, or auto: the part the launcher's variables say "
                               + "(\(MaterializeText.launcherNames)).", valueName: "I/N|auto"))
    var shard: String?

    @Flag(help: "Print a JSON summary.")
    var json = false

    @OptionGroup var s3: S3Options

    func validate() throws {
        if (output == nil) == (zip == nil) { throw ValidationError("give -o FILE|DIR/ or --zip FILE.zip") }
        if images && output != nil && !isDirectoryOutput(output!) {
            throw ValidationError("--images writes a folder's images/: give -o DIR/ (with a trailing slash) or --zip")
        }
        if !images && (shard != nil || cache != nil) { throw ValidationError("--shard and --cache go with --images") }
        if zip != nil && shard != nil { throw ValidationError("--shard goes with -o DIR/: a zip holds the whole version") }
        if let zip, !zip.hasSuffix(".zip") { throw ValidationError("--zip \(zip): name the archive FILE.zip") }
        guard jobs >= 1 else { throw ValidationError("-j must be at least 1") }
        if let shard, case .failure(let error) = MaterializeOperation.Shard.parse(shard) { throw ValidationError(error.description) }
    }

    func isDirectoryOutput(_ path: String) -> Bool { path.hasSuffix("/") || FileSystem.isDirectory(repository.resolve(path)) }

    func run() throws {
        let repo = try repository.open()
        let version = try StoredVersion(repository: repo, commitID: try repo.resolve(revision))
        if let output, !images, !isDirectoryOutput(output) { return try writeFile(version, to: RepositoryOptions.output(output, resolving: repository.resolve)) }

        let destination: TrainingCheckout.Destination = zip.map { .zip(repository.resolve($0)) }
            ?? .directory(repository.resolve(output!))
        var request = TrainingCheckout.Request(destination: destination, subset: subset)
        if images {
            request.images = MaterializeOperation.Request(
                output: "", cache: cache.map(repository.resolve) ?? ObjectCache.defaultRoot, concurrency: jobs,
                shard: try shard.map { try MaterializeOperation.Shard.parse($0).get() })
        }
        let bar = ProgressBar()
        let report = try TrainingCheckout.run(version, request: request, s3: s3.configuration(), progress: bar.update)
        bar.finish()
        let place: String
        switch destination {
        case .directory(let folder): place = folder
        case .zip(let path): place = path
        }
        if json {
            print(summary(report, version: version, place: place, shard: request.images?.shard).pretty)
        } else {
            let zipped = zip != nil
            if zipped && report.zipWritten { print("wrote \(place) from \(version.commit.id.short):") }
            if !zipped || report.zipWritten {
                for (file, subset) in report.annotations {
                    let counts = VersionText.counts(version.summary, subset: subset.name)
                    print(zipped ? "  \(file) (\(counts))" : "wrote \(joinPath(place, file)) (\(counts)) from \(version.commit.id.short)")
                }
            }
            if let images = report.images {
                let lines = MaterializeText.lines(images, noun: "image", place: zipped ? "in images/" : "in \(joinPath(place, "images"))",
                                                  subset: nil, shard: request.images?.shard)
                // The summary, under the zip's line, is indented as its files are.
                for (index, line) in lines.enumerated() { print(zipped && index == lines.count - 1 ? "  " + line : line) }
            }
            if zipped && !report.zipWritten {
                print("no zip written: not every image of the version is in S3 as pinned")
            }
        }
        if let images = report.images, !images.isComplete { throw ExitCode(ExitStatus.problemsFound) }
    }

    /// `-o FILE`: one subset's document (`-o -`: on the standard output, what it says then on
    /// the standard error).
    func writeFile(_ version: StoredVersion, to destination: OutputDestination) throws {
        LeftForExit.keep(try CheckoutWriter.write(version, subset: subset, to: destination))
        let counts = version.subsets.count > 1 || subset != nil
            ? VersionText.counts(version.summary, subset: subset ?? version.subsets[0].name) : VersionText.counts(version.summary)
        RepositoryOptions.sayWritten("wrote \(destination.name) (\(counts)) from \(version.commit.id.short)", to: destination)
    }

    func summary(_ report: TrainingCheckout.Report, version: StoredVersion, place: String,
                 shard: MaterializeOperation.Shard?) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("commit", .string(version.commit.id.hex)),
            ("output", .string(place)),
            ("annotations", .array(report.annotations.map { .object([("path", .string($0.path)), ("subset", .string($0.subset.name))]) })),
        ]
        if let images = report.images {
            members.append(("images", images.json))
            members.append(("shard", shard?.json ?? .null))
        }
        if zip != nil { members.append(("zip_written", .bool(report.zipWritten))) }
        return .object(members)
    }
}
