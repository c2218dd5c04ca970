import DSVNative
import DSVStorage

/// What `commit` and `status` read: COCO files given on the command line, and the
/// `annotations/*.json` inside CVAT export zips or their extracted folders (their images, if
/// any, are left alone). Each
/// file is assigned its subset: `--subset` for loose files, else the one its name gives
/// (`<task>_<subset>.json`), else the subset of the version it follows when that version has only
/// one (a lone file committed with `--subset Train` stays in Train next round), else the default.
public enum ExportInput {
    /// One COCO document to read, wherever it came from.
    struct Document {
        /// How messages name it: its path, or the zip's path and the path inside.
        var label: String
        /// How `dataset.json` lists it: the file's name, or the zip's (folder's) and the path inside.
        var source: String
        var mapping: FileMapping
        /// Nil for a loose file that neither `--subset` nor its name places: it takes the
        /// subset of the version it follows, known once the repository is read.
        var subset: Subset?
    }

    /// Exports opened but not yet read: their files mapped (zip entries inflated), their subsets
    /// named where the files say, and their SHA-256 started. `commit` opens its exports before
    /// the repository, so that the hashing — a fifth of a next round's work, and on its
    /// critical path — starts while the process is still setting up (libgit2's start alone
    /// takes milliseconds).
    public struct Opened: @unchecked Sendable {
        let documents: [Document]
        /// The sources' names, sizes and SHA-256; the holder asks for `resolved` last, or lets
        /// it go (which stops the hashing).
        public let sources: SourceDigests
    }

    /// Maps every export and starts hashing them, on an idle-class thread that fills the
    /// moments the reading and the building leave a core idle.
    /// - Parameters:
    ///   - subset: the subset of the loose JSON files (`--subset`).
    ///   - hashSources: false when the sources will not be asked for (`status`): nothing is hashed.
    public static func open(_ paths: [String], subset: String? = nil, hashSources: Bool = true) throws(CommitError) -> Opened {
        var documents: [Document] = []
        var looseFiles = 0
        for path in paths {
            if FileSystem.isDirectory(path) {
                documents += try folderDocuments(path)
                continue
            }
            let mapping: FileMapping
            do { mapping = try FileMapping(path: path) } catch {
                throw .input(.unreadable(file: path, reason: error.reason))
            }
            if ZipArchive.looksLikeZip(mapping.bytes) {
                documents += try zipDocuments(path)
                continue
            }
            looseFiles += 1
            // `--subset` names the files whatever their names say; only their task is taken.
            let fromName: Subset?
            do { fromName = try Subset.named(byFile: path, label: path) } catch {
                guard subset != nil else { throw .input(error) }
                fromName = nil
            }
            let given = subset.map { Subset(name: $0, task: fromName?.task ?? Subset.defaultTask) }
            documents.append(Document(label: path, source: FileSystem.lastComponent(of: path), mapping: mapping,
                                      subset: given ?? fromName))
        }
        if subset != nil && looseFiles == 0 {
            throw .usage("--subset names the subset of loose JSON files; the files of an export zip or folder are named by their subset")
        }
        return Opened(documents: documents, sources: SourceDigests(documents.map { ($0.source, $0.mapping) }, inBackground: hashSources))
    }

    /// Reads and validates every opened export into the plan of a version following `previous`,
    /// matching the annotations the last commit read with `known` (see `COCOReader.read`).
    /// On a refusal the hashing stops.
    public static func read(_ opened: Opened, previous: StoredVersion? = nil,
                            known: KnownAnnotations? = nil) throws(CommitError) -> VersionPlan {
        let unnamed = previous.flatMap { $0.subsets.count == 1 ? $0.subsets[0] : nil } ?? .default
        do throws(CommitError) {
            var exports: [(export: COCOExport, subset: Subset)] = []
            for document in opened.documents {
                do { exports.append((try COCOReader.read(document.mapping, name: document.label, known: known),
                                      document.subset ?? unnamed)) } catch {
                    throw .input(error)
                }
            }
            do { return try VersionPlan(exports) } catch { throw .input(error) }
        } catch {
            opened.sources.cancel()
            throw error
        }
    }

    /// `open`, then `read`: the plan, and the sources whose SHA-256 is computing (see `Opened`).
    public static func read(_ paths: [String], subset: String? = nil, previous: StoredVersion? = nil,
                            hashSources: Bool = true) throws(CommitError) -> (VersionPlan, SourceDigests) {
        let opened = try open(paths, subset: subset, hashSources: hashSources)
        return (try read(opened, previous: previous), opened.sources)
    }

    /// The `annotations/*.json` of a CVAT export zip, decoded, each with the subset its name gives.
    static func zipDocuments(_ path: String) throws(CommitError) -> [Document] {
        let archive: ZipArchive
        do { archive = try ZipArchive(path: path) } catch { throw .archive(error) }
        let zipName = FileSystem.lastComponent(of: path)
        var documents: [Document] = []
        for entry in archive.entries where isAnnotationFile(entry) {
            let label = "\(path)/\(entry.name)"
            let mapping: FileMapping
            do { mapping = try archive.contents(of: entry, name: label) } catch { throw .archive(error) }
            let subset: Subset?
            do { subset = try Subset.named(byFile: entry.name, label: label) } catch { throw .input(error) }
            documents.append(Document(label: label, source: "\(zipName)/\(entry.name)", mapping: mapping, subset: subset ?? .default))
        }
        guard !documents.isEmpty else {
            throw .input(.notCOCO(file: path, reason: "no annotations/*.json inside; a CVAT COCO export zip holds annotations/instances_<subset>.json"))
        }
        return documents
    }

    /// The `annotations/*.json` of an extracted CVAT export, in the order of their names.
    static func folderDocuments(_ path: String) throws(CommitError) -> [Document] {
        let folder = joinPath(path, "annotations")
        let names = FileSystem.entries(of: folder).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !names.isEmpty else {
            throw .input(.notCOCO(file: path, reason: "a folder, with no annotations/*.json inside; an extracted CVAT COCO export holds annotations/instances_<subset>.json"))
        }
        let folderName = FileSystem.lastComponent(of: path.hasSuffix("/") ? String(path.dropLast()) : path)
        var documents: [Document] = []
        for name in names {
            let file = joinPath(folder, name)
            let mapping: FileMapping
            do { mapping = try FileMapping(path: file) } catch { throw .input(.unreadable(file: file, reason: error.reason)) }
            let subset: Subset?
            do { subset = try Subset.named(byFile: name, label: file) } catch { throw .input(error) }
            documents.append(Document(label: file, source: "\(folderName)/annotations/\(name)", mapping: mapping, subset: subset ?? .default))
        }
        return documents
    }

    /// `annotations/<name>.json`, at the top of the zip or in one folder (a re-zipped export);
    /// not the resource forks macOS adds. Some Windows tools separate folders with `\`.
    static func isAnnotationFile(_ entry: ZipArchive.Entry) -> Bool {
        let components = entry.name.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }
        guard !entry.isDirectory, components.count >= 2, components[components.count - 2] == "annotations",
              let file = components.last, file.hasSuffix(".json"), !file.hasPrefix("._"),
              components.first != "__MACOSX" else { return false }
        return true
    }
}

/// The source files' names, sizes and SHA-256, hashed in the background (`BackgroundDigests`).
public final class SourceDigests: Sendable {
    private let names: [String]
    private let sizes: [Int]
    private let digests: BackgroundDigests

    init(_ files: [(name: String, mapping: FileMapping)], inBackground: Bool) {
        names = files.map(\.name)
        sizes = files.map(\.mapping.count)
        digests = BackgroundDigests(files.map(\.mapping), inBackground: inBackground)
    }

    /// Waits for the digests, finishing them on the calling thread.
    public var resolved: [DatasetSummary.Source] { resolve(releasing: false) }

    /// Waits for the digests; with `releasing`, the caller is done with the sources' bytes, and
    /// their memory is given back meanwhile (see `BackgroundDigests.finish`).
    public func resolve(releasing: Bool) -> [DatasetSummary.Source] {
        zip(zip(names, sizes), digests.finish(releasing: releasing)).map {
            DatasetSummary.Source(name: $0.0, sha256: hexString($1), bytes: $0.1)
        }
    }

    /// Stops the hashing (if `resolved` was not asked for, nothing more is computed); safe to call
    /// on every path, and required before the process exits (done when these are let go).
    public func cancel() { digests.cancel() }

    deinit { digests.cancel() }
}
