import DSVJSON
import DSVNative
import DSVStorage

/// Writes a version back as a COCO document: the header's members in their order, the images
/// and annotations in the export's order with their lifted ids filled back in. For a compact
/// export the result is byte-identical to it; for any export it parses equal, with every
/// number's text, string escape and key order as they were.
///
/// Every object's output length is known before writing (its template's length plus its ids'
/// digits), so the file is sized first and filled in parallel, each part at its offset
/// (`ParallelOutputFile`), under a temporary name renamed at the end: the destination never
/// holds a partial file.
public enum CheckoutWriter {
    /// Writes one subset of the version to `path` (nil: the version's only subset).
    /// - Parameter direct: whether the file bypasses the page cache (`ParallelOutputFile`);
    ///   nil decides by its size.
    /// - Returns: the decoded shards, for a caller about to exit to leave to the exit: freeing
    ///   1.18M images' 468k shards, view by view, took 0.3–0.5 s after a 7.5 s checkout.
    @discardableResult
    public static func write(_ version: StoredVersion, subset: String? = nil, to destination: OutputDestination,
                             direct: Bool? = nil) throws(CheckoutError) -> DecodedShards {
        let name = try chosenSubset(version, subset)
        let layout = try inBackground(version.orderAndHeaderInBackground(of: name))
        let shards = try readShards(version)
        try write(subset: name, layout: layout, shards: shards, to: destination, direct: direct)
        return DecodedShards(shards: shards)
    }

    /// A version's shards as a checkout decoded them: nothing to use, only to keep.
    public struct DecodedShards {
        let shards: CheckoutShards
    }

    /// Writes every subset (or only `only`) as CVAT lays out its export:
    /// `directory/annotations/<task>_<subset>.json`, reading the shards once.
    /// Returns the files written with their subsets, in the order of the subsets' names.
    public static func writeDirectory(_ version: StoredVersion, only: String? = nil,
                                      to directory: String) throws(CheckoutError) -> [(path: String, subset: Subset)] {
        var wanted: [String]?
        if let only { wanted = [try chosenSubset(version, only)] }
        let subsets = version.subsets.filter { wanted?.contains($0.name) ?? true }
        // Every name is checked before anything is written: a version from an older or foreign
        // writer may name its subsets so that their files would collide or leave the folder.
        if let (a, b) = Subset.caseCollision(subsets.map(\.name)) {
            throw .unsafeLayout("subsets \(a) and \(b) differ only in case; their files would overwrite each other on a "
                                + "case-insensitive file system — check them out one at a time with --subset")
        }
        let paths: [String]
        do {
            let output = try OutputDirectory(root: directory)
            paths = try subsets.map { (subset) throws(OutputError) in try output.path(for: subset.fileName) }
        } catch { throw .output(error) }
        let layouts = try subsets.map { (subset) throws(CheckoutError) in try inBackground(version.orderAndHeaderInBackground(of: subset.name)) }
        let shards = try readShards(version)
        var written: [(path: String, subset: Subset)] = []
        for ((subset, path), layout) in zip(zip(subsets, paths), layouts) {
            try write(subset: subset.name, layout: layout, shards: shards, to: .file(path))
            written.append((path, subset))
        }
        return written
    }

    /// The subset a single-file checkout writes: the one asked for, or the only one.
    static func chosenSubset(_ version: StoredVersion, _ subset: String?) throws(CheckoutError) -> String {
        if let subset {
            do { return try version.subset(named: subset).name } catch { throw .repository(error) }
        }
        let names = version.subsets.map(\.name)
        guard names.count == 1 else { throw .subsetRequired(available: names) }
        return names[0]
    }

    static func readShards(_ version: StoredVersion) throws(CheckoutError) -> CheckoutShards {
        do { return CheckoutShards(views: try version.views()) } catch { throw .repository(error) }
    }

    /// A subset's order stream and header, decoded on another thread while the shards are read.
    typealias LayoutInputs = BackgroundValue<(order: OrderStream, header: [UInt8]), RepositoryError>

    static func inBackground(_ start: @autoclosure () throws(RepositoryError) -> LayoutInputs) throws(CheckoutError) -> LayoutInputs {
        do { return try start() } catch { throw .repository(error) }
    }

    static func write(subset: String, layout: LayoutInputs, shards: CheckoutShards, to destination: OutputDestination,
                      direct: Bool? = nil) throws(CheckoutError) {
        let trace = Trace()
        let inputs: (order: OrderStream, header: [UInt8])
        do { inputs = try layout.value() } catch { throw .repository(error) }
        let document = try CheckoutDocument(shards: shards, order: inputs.order, header: inputs.header, subset: subset)
        trace.mark("lay out")
        do {
            if case .file(let path) = destination { try FileSystem.createDirectories(FileSystem.directory(of: path)) }
            let file = try ParallelOutputFile(to: destination, count: document.size, direct: direct)
            document.render(to: file)
            try file.commit()
            trace.mark("render, write and rename")
        } catch {
            throw .io(error)
        }
    }
}

/// Where the members of a stored header lie.
struct HeaderLayout {
    struct Member {
        var name: String
        var key: Range<Int>
        var value: Range<Int>
    }

    var leading: Range<Int>
    var trailing: Range<Int>
    var members: [Member] = []

    init(_ header: [UInt8]) throws(CheckoutError) {
        let parsed = header.withUnsafeBytes { bytes in
            Result { () throws(JSONSyntaxError) -> (Range<Int>, Range<Int>, [Member]) in
                var scanner = JSONScanner(bytes)
                scanner.skipLeading()
                let leading = 0..<scanner.position
                var members: [Member] = []
                try scanner.expect(UInt8(ascii: "{"), "'{'")
                scanner.skipWhitespace()
                if scanner.peek() != UInt8(ascii: "}") {
                    while true {
                        scanner.skipWhitespace()
                        let keyStart = scanner.position
                        try scanner.skipString()
                        let key = keyStart..<scanner.position
                        try scanner.expect(UInt8(ascii: ":"), "':'")
                        let value = try scanner.scanValue()
                        members.append(Member(name: JSONString.decode(UnsafeRawBufferPointer(rebasing: bytes[key])),
                                              key: key, value: value))
                        scanner.skipWhitespace()
                        if scanner.peek() == UInt8(ascii: ",") { scanner.position += 1; continue }
                        break
                    }
                }
                try scanner.expect(UInt8(ascii: "}"), "'}'")
                return (leading, scanner.position..<bytes.count, members)
            }
        }
        guard case .success(let (leading, trailing, members)) = parsed else {
            throw .repository(.corruptVersion("unreadable header"))
        }
        self.leading = leading
        self.trailing = trailing
        self.members = members
    }
}
