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
        /// Documents of one group share frames (the jobs of one CVAT task with overlap): a frame
        /// an earlier document of the group has is kept from there (`ExportPlan`).
        var overlapGroup: Int?
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
        try open(paths.map { ExportSource(path: $0) }, subset: subset, hashSources: hashSources)
    }

    /// The same for sources that may say more than their path (the exports of CVAT jobs).
    public static func open(_ sources: [ExportSource], subset: String? = nil, hashSources: Bool = true) throws(CommitError) -> Opened {
        var documents: [Document] = []
        var looseFiles = 0
        for source in sources {
            let path = source.path
            if FileSystem.isDirectory(path) {
                documents += try folderDocuments(path)
                continue
            }
            let mapping: FileMapping
            do { mapping = try FileMapping(path: path) } catch {
                throw .input(.unreadable(file: source.name ?? path, reason: error.reason))
            }
            if ZipArchive.looksLikeZip(mapping.bytes) {
                documents += try zipDocuments(source)
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
            var exports: [(export: COCOExport, subset: Subset, overlapGroup: Int?)] = []
            for (index, document) in opened.documents.enumerated() {
                // The sources' SHA-256 is wanted once the version is built, work that leaves a
                // core idle too seldom for an idle-class thread to finish it: from the last
                // export's index on, it competes for the cores (`SourceDigests.hurry`). Asked
                // only once the plan was made, a 118k-image `json.dump` next round often waited for
                // it alone at the end (the medians of four sets of alternating runs averaged
                // 484 → 474 ms; 10k and 40k images unchanged).
                let last = index == opened.documents.count - 1
                do { exports.append((try COCOReader.read(document.mapping, name: document.label, known: known,
                                                         indexed: { if last { opened.sources.hurry() } }),
                                      document.subset ?? unnamed, document.overlapGroup)) } catch {
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

    /// The `annotations/*.json` of a CVAT export zip, decoded, each with the subset its name
    /// gives — or, for a CVAT job's export, its task's subset, with the COCO task its name gives.
    static func zipDocuments(_ zip: ExportSource) throws(CommitError) -> [Document] {
        let path = zip.path
        let archive: ZipArchive
        do { archive = try ZipArchive(path: path) } catch { throw .archive(error) }
        let zipName = zip.name ?? FileSystem.lastComponent(of: path)
        var documents: [Document] = []
        for entry in archive.entries where entry.isExportAnnotations {
            let label = "\(zip.name ?? path)/\(entry.name)"
            let mapping: FileMapping
            do { mapping = try archive.contents(of: entry, name: label) } catch { throw .archive(error) }
            let subset: Subset?
            if let name = zip.subsetName {
                subset = Subset(name: name, task: (try? Subset.named(byFile: entry.name, label: label))??.task ?? Subset.defaultTask)
            } else {
                do { subset = try Subset.named(byFile: entry.name, label: label) } catch { throw .input(error) }
            }
            documents.append(Document(label: label, source: "\(zipName)/\(entry.name)", mapping: mapping, subset: subset ?? .default,
                                      overlapGroup: zip.overlapGroup))
        }
        guard !documents.isEmpty else {
            throw .input(.notCOCO(file: zip.name ?? path, reason: "no annotations/*.json inside; a CVAT COCO export zip holds annotations/instances_<subset>.json"))
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
}

/// One export as a command names it: a path (a COCO file, a CVAT export zip or the folder it
/// extracts to), and for the export of a CVAT job what CVAT says of it.
public struct ExportSource: Sendable {
    public var path: String
    /// The subset its documents go to whatever their names say (a CVAT task's subset).
    public var subsetName: String?
    /// Exports of one group share frames (a CVAT task's overlapping jobs), kept from the first.
    public var overlapGroup: Int?
    /// How messages and `dataset.json` name it instead of its path ("job-45.zip").
    public var name: String?

    public init(path: String, subsetName: String? = nil, overlapGroup: Int? = nil, name: String? = nil) {
        (self.path, self.subsetName, self.overlapGroup, self.name) = (path, subsetName, overlapGroup, name)
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

    /// Waits for the digests, finishing them on the calling thread (giving back what it hashes
    /// once `release()` was called).
    public var resolved: [DatasetSummary.Source] {
        zip(zip(names, sizes), digests.finish()).map {
            DatasetSummary.Source(name: $0.0, sha256: hexString($1), bytes: $0.1)
        }
    }

    /// Whether `resolved` would not wait (`BackgroundDigests.isReady`).
    public var isReady: Bool { digests.isReady }

    /// The caller is done with the sources' bytes: their memory is given back, the pages not yet
    /// hashed as they are (see `BackgroundDigests.release`).
    public func release() { digests.release() }

    /// The digests are wanted soon: their thread competes for the cores (`BackgroundDigests.hurry`).
    public func hurry() { digests.hurry() }

    /// Stops the hashing (if `resolved` was not asked for, nothing more is computed); safe to call
    /// on every path, and required before the process exits (done when these are let go).
    public func cancel() { digests.cancel() }

    deinit { digests.cancel() }
}
