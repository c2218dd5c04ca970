import DSVNative
import DSVStorage

/// `dsv checkout REV -o DIR/ --images` and `dsv checkout REV --zip FILE.zip [--images]`: a
/// version laid out as CVAT's COCO 1.0 export with images is, the layout Datumaro (the reader
/// CVAT itself uses), torchvision's `CocoDetection`, Detectron2 and mmdetection read:
///
/// ```
/// annotations/<task>_<subset>.json      every subset, exactly as committed
/// images/<subset>/<file_name>           every image, the pinned bytes
/// ```
///
/// The images come through `MaterializeOperation` (pinned, verified, cached, linked into place).
/// As a zip, the same tree is staged beside the archive (links into the cache, so nothing is
/// copied twice), written into it — annotations deflated, images stored — and renamed into place
/// at the end; a version whose images are not all there (changed or gone in S3) makes no zip.
public enum TrainingCheckout {
    public enum Destination: Sendable {
        case directory(String)
        case zip(String)
    }

    public struct Request: Sendable {
        public var destination: Destination
        /// Only this subset.
        public var subset: String?
        /// The images too, materialized as this request says (its `output` is set here).
        public var images: MaterializeOperation.Request?

        public init(destination: Destination, subset: String? = nil, images: MaterializeOperation.Request? = nil) {
            (self.destination, self.subset, self.images) = (destination, subset, images)
        }
    }

    public struct Report: Sendable {
        /// The annotation files, relative to the folder or the zip's root, with their subsets.
        public var annotations: [(path: String, subset: Subset)]
        public var images: MaterializeOperation.Report?
        /// Whether the zip was written (a version with changed or missing images makes none).
        public var zipWritten = false
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case checkout(CheckoutError)
        case materialize(MaterializeOperation.Failure)
        case zip(SystemError)

        public var description: String {
            switch self {
            case .checkout(let error): error.description
            case .materialize(let error): error.description
            case .zip(let error): error.description
            }
        }
    }

    /// - Parameter s3: resolved only with the images, once their names are known to be placeable
    ///   (as `MaterializeOperation.run` does).
    public static func run(_ version: StoredVersion, request: Request, s3: @autoclosure () throws(S3Error) -> S3Configuration,
                           progress: (MaterializeOperation.Progress) -> Void = { _ in }) throws(Failure) -> Report {
        switch request.destination {
        case .directory(let folder):
            return try lay(version, request: request, into: folder, s3: s3, progress: progress)
        case .zip(let path):
            // Staged beside the zip, on its file system, so that images are links, not copies.
            let staging = FileSystem.temporaryPath(beside: path)
            let registration = TemporaryFiles.register(staging, folder: true)
            defer {
                FileSystem.removeTree(staging)
                TemporaryFiles.forget(registration)
            }
            var report = try lay(version, request: request, into: staging, s3: s3, progress: progress)
            if let images = report.images, !images.isComplete { return report }
            do {
                let writer = try ZipWriter(path: path, time: version.commit.author.time)
                for (file, _) in report.annotations { try writer.add(file, from: joinPath(staging, file), compress: true) }
                if report.images == nil {
                    // An annotations-only export still has its images folders, as COCO importers
                    // (Datumaro's among them) look for them.
                    try writer.addDirectory("images/")
                    for (_, subset) in report.annotations { try writer.addDirectory("images/\(subset.name)/") }
                }
                for file in report.images == nil ? [] : files(under: joinPath(staging, "images")) {
                    try writer.add("images/" + file, from: joinPath(staging, "images/" + file), compress: false)
                }
                try writer.finish()
            } catch {
                throw .zip(error)
            }
            report.zipWritten = true
            return report
        }
    }

    /// The annotations, then the images, under `folder`.
    static func lay(_ version: StoredVersion, request: Request, into folder: String, s3: () throws(S3Error) -> S3Configuration,
                    progress: (MaterializeOperation.Progress) -> Void) throws(Failure) -> Report {
        // The images' names, then S3's configuration, are checked before the annotations are
        // written: a version whose images cannot all be placed writes nothing.
        var materialize: (request: MaterializeOperation.Request, images: [PinnedImage], s3: S3Configuration)?
        if var images = request.images {
            images.output = joinPath(folder, "images")
            images.subset = request.subset
            images.subsetFolders = true
            do {
                let placed = try MaterializeOperation.images(of: version, request: images)
                materialize = (images, placed, try MaterializeOperation.resolve(s3))
            } catch {
                throw .materialize(error)
            }
        }
        let written: [(path: String, subset: Subset)]
        do { written = try CheckoutWriter.writeDirectory(version, only: request.subset, to: folder) } catch { throw .checkout(error) }
        var report = Report(annotations: written.map { (relative($0.path, to: folder), $0.subset) })
        if let materialize {
            do {
                report.images = try MaterializeOperation.run(version, images: materialize.images, s3: materialize.s3,
                                                             request: materialize.request, progress: progress)
            } catch {
                throw .materialize(error)
            }
        }
        return report
    }

    static func relative(_ path: String, to folder: String) -> String {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }

    /// Every file under `folder`, as relative paths in byte order (what a zip lists).
    static func files(under folder: String, prefix: String = "") -> [String] {
        var found: [String] = []
        for name in FileSystem.entries(of: joinPath(folder, prefix)).sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            let relative = prefix.isEmpty ? name : prefix + "/" + name
            if FileSystem.isDirectory(joinPath(folder, relative)) { found += files(under: folder, prefix: relative) } else { found.append(relative) }
        }
        return found
    }
}
