import ArgumentParser
import DSVDataset
import DSVStorage

/// Options `diff` and `status` share.
struct DiffOptions: ParsableArguments {
    @Flag(help: "Only the summary tables.")
    var stat = false

    @Flag(help: "Only the changed images' keys, one a line (as git diff --name-only).")
    var nameOnly = false

    @Flag(help: "Only the changed images' keys, each after A (added), D (removed) or M (modified) and a tab.")
    var nameStatus = false

    @Flag(help: "Exit with 1 when there are differences.")
    var exitCode = false

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Only annotation changes in this category (by name).")
    var category: String?

    @Option(name: .customLong("path"), help: ArgumentHelp("Only images whose key starts with PREFIX.", valueName: "PREFIX"))
    var pathPrefix: String?

    @Option(help: ArgumentHelp("Only images in this subset (before or after), e.g. Train.", valueName: "NAME"))
    var subset: String?

    @Option(help: ArgumentHelp("Write a self-contained review page: each changed image with its old and new shapes (- for the standard output).",
                               valueName: "FILE"))
    var html: String?

    @Option(help: ArgumentHelp("With --html: take the images from a folder made by 'dsv materialize' (works offline) "
                               + "instead of presigned S3 URLs.", valueName: "DIR"))
    var imagesFrom: String?

    @Option(help: ArgumentHelp("With --html: how long the presigned image URLs stay valid.", valueName: "SECONDS"))
    var expires: Int = 7 * 24 * 3600

    @OptionGroup var s3: S3Options

    func validate() throws {
        if nameOnly || nameStatus, [stat, json, html != nil, nameOnly && nameStatus].contains(true) {
            throw ValidationError("--name-only and --name-status go alone: not together, nor with --stat, --json or --html")
        }
        if html == nil && imagesFrom != nil { throw ValidationError("--images-from goes with --html") }
        guard (1...604_800).contains(expires) else { throw ValidationError("--expires must be 1 to 604800 seconds (7 days, S3's limit)") }
    }

    /// Prints (or writes) the diff as asked and returns the exit status.
    /// - Parameters:
    ///   - headers: the stored headers of the versions compared, for keypoint skeletons; read
    ///     only for `--html`.
    ///   - resolve: turns a path given on the command line into one to open.
    func report(_ full: VersionDiff, title: String, headers: () throws -> [[UInt8]] = { [] },
                resolve: (String) -> String = { $0 }) throws {
        let diff = full.filtered(pathPrefix: pathPrefix, category: category, subset: subset)
        if let html {
            let destination = RepositoryOptions.output(html, resolving: resolve)
            // A page on the standard output finds `--images-from` from the current folder.
            let path = destination.isReplaced ? destination.name : resolve("review.html")
            let urls = try ReviewImages.urls(for: diff, page: path, imagesFrom: imagesFrom.map(resolve), expires: expires, s3: s3)
            var skeletons: [(String, JSONValue)] = []
            for header in try headers() {
                for entry in ReviewPage.skeletons(header: header) where !skeletons.contains(where: { $0.0 == entry.0 }) {
                    skeletons.append(entry)
                }
            }
            let page = ReviewPage.render(diff, title: title, urls: urls, skeletons: skeletons)
            let writer = try AtomicFileWriter(to: destination)
            try writer.write(page)
            try writer.commit()
            RepositoryOptions.sayWritten("wrote \(destination.name): \(VersionText.count(diff.images.count, "changed image"))", to: destination)
        } else if nameOnly || nameStatus {
            try DiffOutput.printNames(diff, status: nameStatus)
        } else if json {
            try diff.writeJSON(pretty: true) { (piece) throws(SystemError) in try StandardOutput.write(piece) }
            print()
        } else {
            DiffOutput.printSummary(diff, title: title)
            if !stat { try DiffOutput.printImages(diff) }
        }
        if exitCode && !diff.isEmpty { throw ExitCode(ExitStatus.problemsFound) }
    }
}
