import DSVDataset
import DSVNative
import DSVStorage

/// The fuzz target of `make fuzz`: any bytes go through what `dsv commit` does with an export
/// before it touches a repository — the zip reader (for inputs that start like a zip), the
/// faithful reader, the COCO checks, the merge plan, and the sharded, compressed manifest. A refusal (`COCOError`) is the right answer to bad input;
/// a crash, a sanitizer report or a hang is a bug. Then the next round's matching of known
/// annotations (`KnownAnnotations`) is checked against a full parse read the same way (a
/// spaced file, in a next round, as written): it must change nothing; and reading a file spaced
/// between its tokens from a minified copy against reading it as written: the same outcome.
enum FuzzTarget {
    /// The reader maps files, so each input is written to one scratch file first.
    static let scratch = "/tmp/dsv-fuzz-\(ProcessEnvironment.processID).json"
    /// Shards are fingerprinted as a commit with a shard cache does (reads in place, past pieces).
    static let key = FingerprintKey.random()
    static let elementKey = ElementKey(derivedFrom: key)
    static let variant = "/tmp/dsv-fuzz-\(ProcessEnvironment.processID)-variant.json"
    static let elements = "/tmp/dsv-fuzz-\(ProcessEnvironment.processID).elements"
    /// Known annotations that match nothing (one entry whose digest no tail has): a read with
    /// them takes a next round's path — a spaced file as written — and parses every object.
    static let nothingKnown: KnownAnnotations = {
        let path = "/tmp/dsv-fuzz-\(ProcessEnvironment.processID).nothing"
        let writer = ElementCache.Writer(path: path, key: elementKey)
        writer.append(ElementCache.Entry(digest: Fingerprint(high: .random(in: 1 ... .max), low: .random(in: 1 ... .max)),
                                         valueOffset: ElementCache.noValue, valueLength: 0))
        writer.finish()
        return KnownAnnotations(ElementCache(path: path, key: elementKey))
    }()

    static func run(_ bytes: UnsafeRawBufferPointer) {
        do { try FileSystem.write(Array(bytes), to: scratch) } catch { fatalError("cannot write \(scratch): \(error)") }
        do {
            let (plan, sources) = try ExportInput.read([scratch])
            defer { sources.cancel() }
            var content = try VersionBuilder.build(plan, imagesPrefix: nil, reuse: ShardReuse(key: key))
            content.summary.sources = sources.resolved
            checkShards(content)
        } catch {
            // Refused, as bad input must be.
        }
        checkMatching(bytes)
        checkCopy()
        checkCanonical(bytes)
    }

    /// What a diff takes as the same value: the input's two halves compared side by side
    /// (`sameValue`) agree with their canonical texts wherever both halves are JSON, and a
    /// canonical text is written exactly when the parser takes the half, the same again from
    /// the parsed value.
    static func checkCanonical(_ bytes: UnsafeRawBufferPointer) {
        let half = bytes.count / 2
        let (a, b) = (UnsafeRawBufferPointer(rebasing: bytes[..<half]), UnsafeRawBufferPointer(rebasing: bytes[half...]))
        let same = JSONValue.sameValue(a, b)
        func canonical(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
            var inPlace: [UInt8] = []
            let written = JSONValue.writeCanonical(text, into: &inPlace)
            guard let value = try? JSONValue.parse(text) else {
                if written { fatalError("written canonically but not JSON: \(Array(text))") }
                return nil
            }
            if !written || inPlace != value.canonical { fatalError("canonical texts differ for \(Array(text))") }
            return inPlace
        }
        if let x = canonical(a), let y = canonical(b), same != (x == y) {
            fatalError("sameValue says \(same) for \(Array(a)) and \(Array(b))")
        }
    }

    /// Every shard the build compressed decodes again (`ShardView`, as a checkout, diff or
    /// status reads it), its SHA-256 as the manifest says, its keys in the order shards keep
    /// (a diff walks two shards side by side in it), and together they hold every image of the
    /// version once.
    static func checkShards(_ content: VersionContent) {
        var images = 0
        for shard in content.shards {
            guard let blob = shard.blob, let bytes = try? Zstd.decompress(blob.content) else {
                fatalError("shard \(shard.number) does not decompress")
            }
            guard SHA256Digest(of: bytes) == shard.contentDigest else { fatalError("shard \(shard.number)'s digest differs") }
            guard let view = try? ShardView(bytes) else { fatalError("shard \(shard.number) does not decode") }
            let keys = view.records.map(\.key)
            if zip(keys, keys.dropFirst()).contains(where: { !ShardLayout.keyPrecedes($0, $1) }) {
                fatalError("shard \(shard.number)'s keys are out of order")
            }
            images += view.count
        }
        if images != content.summary.images { fatalError("the shards hold \(images) images, the version \(content.summary.images)") }
    }

    /// The input read from a minified copy (when it is spaced between tokens) and as written:
    /// the same images, annotations and categories, or the same refusal word for word.
    static func checkCopy() {
        let copied = Result { () throws(COCOError) in try read(scratch, known: nil, copyingSpaced: true) }
        let asWritten = Result { () throws(COCOError) in try read(scratch, known: nil, copyingSpaced: false) }
        switch (copied, asWritten) {
        case (.success(let a), .success(let b)):
            if a.images.map(\.fileName) != b.images.map(\.fileName) || a.annotations.count != b.annotations.count
                || a.annotationImages != b.annotationImages || a.annotationCategories != b.annotationCategories
                || a.categories.map(\.name) != b.categories.map(\.name) {
                fatalError("the minified copy read otherwise than the file")
            }
        case (.failure(let a), .failure(let b)):
            if a.description != b.description { fatalError("the minified copy was refused otherwise: \(a) / \(b)") }
        default:
            fatalError("the minified copy changed the outcome: \(copied) / \(asWritten)")
        }
    }

    /// The annotations of the input, learned, then matched in the input itself and in a
    /// variant of it (one byte changed): every read must give exactly a full parse's entries,
    /// tail digests and cache entries, or its refusal, word for word.
    static func checkMatching(_ bytes: UnsafeRawBufferPointer) {
        FileSystem.remove(elements)
        let learning = KnownAnnotations(ElementCache(path: elements, key: elementKey))
        guard let learned = try? read(scratch, known: learning) else { return }
        KnownAnnotations.save([learned], key: elementKey, to: elements)
        let cache = ElementCache(path: elements, key: elementKey)
        let known = KnownAnnotations(cache)
        // The full parse to compare with reads the way the matching one does: with nothing
        // known, as a first round (from the minified copy of a spaced file); else as a next one.
        let reference = cache.count > 0 ? nothingKnown : nil
        var changed = Array(bytes)
        if !changed.isEmpty {
            let place = changed.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF_FFFF } % changed.count
            changed[place] &+= 1
        }
        for text in [Array(bytes), changed] {
            do { try FileSystem.write(text, to: variant) } catch { fatalError("cannot write \(variant): \(error)") }
            let plain = Result { () throws(COCOError) in try read(variant, known: reference) }
            let matched = Result { () throws(COCOError) in try read(variant, known: known) }
            switch (plain, matched) {
            case (.success(let a), .success(let b)):
                if a.annotations != b.annotations || a.images.map(\.range) != b.images.map(\.range)
                    || a.annotationsAsWritten != b.annotationsAsWritten {
                    fatalError("matching known annotations changed the entries")
                }
                if reference != nil && (a.tailDigests != b.tailDigests || Array(a.learnedEntries.joined()) != Array(b.learnedEntries.joined())) {
                    fatalError("matching known annotations changed what the next round will know")
                }
            case (.failure(let a), .failure(let b)):
                if a.description != b.description { fatalError("matching known annotations changed the refusal: \(a) / \(b)") }
            default:
                fatalError("matching known annotations changed the outcome: \(plain) / \(matched)")
            }
        }
    }

    static func read(_ path: String, known: KnownAnnotations?, copyingSpaced: Bool = true) throws(COCOError) -> COCOExport {
        let mapping: FileMapping
        do { mapping = try FileMapping(path: path) } catch { fatalError("cannot map \(path): \(error)") }
        return try COCOReader.read(mapping, name: "input", known: known, copyingSpaced: copyingSpaced)
    }
}

#if FUZZING
/// libFuzzer's entry point for one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// libFuzzer's driver (linked in by `-sanitize=fuzzer`). Whichever `main` the linker keeps —
/// libFuzzer's or SwiftPM's renamed one below — runs the same driver over the same input function.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = runFuzzerDriver(&argc, &argv, fuzzOneInput)
        ProcessEnvironment.exit(status)
    }
}
#else
/// Without libFuzzer: replays the given files (the corpus, the regression fixtures) through the
/// target, so that a crash found once stays fixed.
@main
enum FuzzReplay {
    static func main() throws {
        var count = 0
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try FileSystem.read(path)
            bytes.withUnsafeBytes { FuzzTarget.run($0) }
            count += 1
        }
        print("replayed \(count) inputs")
    }
}
#endif
