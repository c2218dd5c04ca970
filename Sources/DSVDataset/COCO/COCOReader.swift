import DSVJSON
import DSVNative
import DSVStorage

/// Reads a COCO file faithfully: one validating pass over the mapped bytes that indexes the
/// top-level members and every image and annotation object without building a tree, so every
/// number, string escape and key order survives untouched. Then the COCO rules of SPEC §3 are
/// checked (`COCOValidation`).
public enum COCOReader {
    public static func read(path: String, name: String? = nil) throws(COCOError) -> COCOExport {
        let label = name ?? path
        let mapping: FileMapping
        do { mapping = try FileMapping(path: path) } catch {
            throw .unreadable(file: label, reason: error.reason)
        }
        return try read(mapping, name: label)
    }

    /// Reads an already mapped file (so that a caller hashing the same bytes on another core
    /// does not map — and page in — the file twice). A file spaced between its tokens is read
    /// from a minified copy of it (`MinifiedCopy`), the file itself when the copy is not valid
    /// JSON (its errors are placed in the file) — or, in a next round (`known` knows
    /// annotations), as written, its annotations matched by their minified tails.
    /// - Parameters:
    ///   - known: the annotations the repository's last commit read; those read again are
    ///     matched rather than parsed, and every annotation's tail digest is kept
    ///     (`COCOExport.tailDigests`). Nil reads everything in full and learns nothing.
    ///   - copyingSpaced: false reads the file as written whatever its layout: the way a file
    ///     spaced only where the samples did not look is read (its spaced arrays are minified
    ///     then).
    ///   - indexed: called once the file is indexed, before it is validated.
    public static func read(_ mapping: FileMapping, name: String, known: KnownAnnotations? = nil,
                            copyingSpaced: Bool = true, indexed: () -> Void = {}) throws(COCOError) -> COCOExport {
        let trace = Trace()
        // A next round of a spaced file: its annotations are matched where they lie, each tail
        // minified on its own (`AnnotationReader.minifying`), and the file is not copied — the
        // copy's hundreds of megabytes of fresh memory cost more than the matching.
        let spaced = copyingSpaced && MinifiedCopy.looksSpaced(mapping.bytes)
        let minifyingAnnotations = spaced && known?.searchable == true
        let copied = spaced && !minifyingAnnotations
            ? MinifiedCopy.make(of: mapping, name: name).map { COCOExport(name: name, mapping: $0) } : nil
        if copied != nil { trace.mark("minified copy of \(name)") }
        let export: COCOExport
        if let copied, (try? index(copied, known: known)) != nil {
            export = copied
        } else {
            // As written: a file not spaced, a next round of one, or one whose copy is not valid
            // JSON (its error placed in the file).
            export = COCOExport(name: name, mapping: mapping)
            try index(export, known: known, minifyingAnnotations: minifyingAnnotations)
        }
        trace.mark("index \(name), \(export.matchedAnnotations) annotations matched")
        indexed()
        try COCOValidation.check(export)
        trace.mark("validate \(name)")
        return export
    }

    /// - Parameter minifyingAnnotations: the `annotations` array is indexed as written whatever
    ///   its whitespace, its objects matched and learned by their minified tails
    ///   (`COCOExport.annotationsAsWritten`), and so is `images` (`COCOExport.imagesAsWritten`);
    ///   only with `known`.
    static func index(_ export: COCOExport, known: KnownAnnotations? = nil, minifyingAnnotations: Bool = false) throws(COCOError) {
        let bytes = export.mapping.bytes
        var spacedArrays: Set<String> = []
        if bytes.isEmpty { throw .notCOCO(file: export.name, reason: "the file is empty") }
        do {
            var scanner = JSONScanner(bytes)
            scanner.skipLeading()
            export.leading = 0..<scanner.position
            if scanner.atEnd { throw COCOError.notCOCO(file: export.name, reason: "the file holds only whitespace") }
            if scanner.peek() == UInt8(ascii: "[") {
                _ = try scanner.scanValue()
                throw COCOError.notCOCO(file: export.name,
                                        reason: "the top level is an array (a results file?); a COCO dataset is an object with an \"images\" array")
            }
            guard scanner.peek() == UInt8(ascii: "{") else {
                _ = try scanner.scanValue()
                throw COCOError.notCOCO(file: export.name, reason: "the top level is not an object")
            }
            scanner.position += 1
            scanner.skipWhitespace()
            var seenKeys: Set<String> = []
            // The annotations read beside the images: where they begin, and what was read.
            var annotationsAhead: (Int, Result<ScannedAnnotations, JSONSyntaxError>)?
            if scanner.peek() != UInt8(ascii: "}") {
                while true {
                    scanner.skipWhitespace()
                    guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected(expected: "a string key") }
                    let keyStart = scanner.position
                    try scanner.skipString()
                    let keyRange = keyStart..<scanner.position
                    let key = JSONString.decode(UnsafeRawBufferPointer(rebasing: bytes[keyRange]))
                    guard seenKeys.insert(key).inserted else {
                        throw COCOError.invalid(file: export.name, reason: "the top-level key \"\(key)\" appears twice")
                    }
                    try scanner.expect(UInt8(ascii: ":"), "':'")
                    scanner.skipWhitespace()
                    let kind: TopLevelMember.Kind = key == "images" ? .images : key == "annotations" ? .annotations : .other
                    let valueRange: Range<Int>
                    switch kind {
                    case .images:
                        // Where the array ends, most likely: `images` is followed by
                        // `annotations` in the files CVAT, pycocotools and Datumaro write.
                        let likelyEnd = likelyImagesEnd(bytes, from: scanner.position)
                        let (range, spaced, entries): (Range<Int>, Bool, [ImageEntry])
                        if let likelyEnd, likelyEnd - scanner.position < ParallelArrayScan.minimumBytes,
                           !seenKeys.contains("annotations"), let next = annotationsValue(bytes, after: likelyEnd) {
                            // Small enough for one core: read beside the annotations that most
                            // likely follow, rather than before them with the other core idle.
                            let (images, ahead) = Self.scanImagesBeside(bytes, from: scanner.position, likelyEnd: likelyEnd,
                                                                         annotations: next, known: known,
                                                                         minifying: minifyingAnnotations)
                            (range, spaced, entries) = try images.get()
                            scanner.position = range.upperBound
                            // Taken only if the annotations turn out to begin there.
                            annotationsAhead = (next, ahead)
                        } else {
                            (range, spaced, entries, _) = try scanEntries(&scanner, key: key, likelyEnd: likelyEnd) { ImageReader() }
                        }
                        (export.images, valueRange) = (entries, range)
                        // In a next round, kept as written like the annotations: a record made
                        // of an image is the object minified, and none is read twice.
                        if spaced && minifyingAnnotations { export.imagesAsWritten = true } else if spaced { spacedArrays.insert(key) }
                    case .annotations:
                        let scanned: ScannedAnnotations
                        if case let (start, ahead)? = annotationsAhead, start == scanner.position {
                            scanned = try ahead.get()
                            scanner.position = scanned.range.upperBound
                        } else {
                            scanned = try scanAnnotations(&scanner, known: known, minifying: minifyingAnnotations)
                        }
                        annotationsAhead = nil
                        let (range, spaced) = (scanned.range, scanned.spaced)
                        (export.annotations, valueRange) = (scanned.entries, range)
                        if var readers = scanned.readers {
                            export.matchedAnnotations = readers.reduce(0) { $0 + $1.matched }
                            // The tails of the bytes indexed; for a spaced array, whose entries
                            // are made again from a minified copy, those of the file are kept
                            // for the next round's first pass.
                            let learned = Self.joined(&readers, \.learned)
                            if minifyingAnnotations {
                                // Kept as written: minified tails were digested, and records are
                                // made of the objects minified.
                                export.tailDigests = learned
                                export.learnedEntries = readers.map(\.entries)
                                export.annotationsAsWritten = true
                            } else if spaced {
                                spacedArrays.insert(key)
                                var reader = AnnotationReader.TokenReader(bytes: bytes)
                                export.spacedTails = zip(export.annotations, learned).compactMap { annotation, digest in
                                    KnownAnnotations.entry(annotation, tail: reader.skip(annotation.imageIDRange.upperBound),
                                                           digest: digest, spaced: true)
                                }
                            } else {
                                export.tailDigests = learned
                            }
                        } else if spaced {
                            spacedArrays.insert(key)
                        }
                    case .other:
                        valueRange = try scanner.scanValue()
                    }
                    export.members.append(TopLevelMember(key: key, keyRange: keyRange, valueRange: valueRange, kind: kind))
                    scanner.skipWhitespace()
                    let c = scanner.peek()
                    if c == UInt8(ascii: ",") { scanner.position += 1; continue }
                    if c == UInt8(ascii: "}") { break }
                    throw scanner.unexpected(expected: "',' or '}'")
                }
            }
            scanner.position += 1
            let trailingStart = scanner.position
            scanner.skipWhitespace()
            if !scanner.atEnd { throw scanner.error("unexpected data after the top-level object") }
            export.trailing = trailingStart..<scanner.position
        } catch let error as JSONSyntaxError {
            if let foreign = ForeignEncoding.describe(bytes) { throw .notCOCO(file: export.name, reason: foreign) }
            let position = TextPosition(offset: error.offset, in: bytes)
            if !error.isGrammar { throw .invalid(file: "\(export.name):\(position)", reason: error.reason) }
            throw .syntax(file: export.name, position: position, reason: error.reason)
        } catch let error as COCOError {
            throw error
        } catch {
            fatalError("unexpected error \(error)")
        }
        // Re-index arrays that were not written compactly from a minified copy, so that stored
        // records never depend on the export's whitespace.
        let trace = Trace()
        for member in export.members where spacedArrays.contains(member.key) {
            // Minified straight into an anonymous mapping of its own (sized for the worst case;
            // what is never written costs nothing), so that its bytes stay put while the export
            // lives; then indexed there, on all cores like the file.
            let value = UnsafeRawBufferPointer(rebasing: bytes[member.valueRange])
            let arena: FileMapping
            do { arena = try FileMapping(anonymous: export.name, count: value.count) } catch {
                throw .unreadable(file: export.name, reason: error.reason)
            }
            // On all cores, cut where the scan found elements starting.
            let start = member.valueRange.lowerBound
            let starts = member.kind == .images ? export.images.map(\.range.lowerBound)
                : export.annotations.map(\.range.lowerBound)
            let parts = min(SystemInfo.processorCount, max(1, value.count / ParallelArrayScan.minimumBytes))
            let cuts = (1..<max(parts, 1)).map { starts[$0 * starts.count / parts] - start }
            arena.seal(keeping: MinifiedCopy.minify(member.valueRange, of: export.mapping, into: arena, at: 0, cuts: cuts).written)
            trace.mark("minify \(member.key)")
            let result = Result { () throws(JSONSyntaxError) in
                var scanner = JSONScanner(arena.bytes)
                // The entries over the file's bytes go before those over the arena's are made.
                if member.kind == .images {
                    export.images = []
                    export.images = try scanEntries(&scanner, key: member.key) { ImageReader() }.entries
                } else {
                    // Matched by the tails of minified bytes, which a compact export has too.
                    export.annotations = []
                    let scanned = try scanAnnotations(&scanner, known: known, minifying: false)
                    export.annotations = scanned.entries
                    if var readers = scanned.readers { export.tailDigests = Self.joined(&readers, \.learned) }
                }
            }
            if case .failure(let error) = result { fatalError("minified JSON no longer scans: \(error.reason)") }
            trace.mark("index minified \(member.key)")
            if member.kind == .images { export.imagesArena = arena } else { export.annotationsArena = arena }
        }
    }

    /// Where an `images` array from `from` most likely ends: at the `]` before `,"annotations"`
    /// (whitespace allowed around the comma), which follows `images` in the files CVAT,
    /// pycocotools, Datumaro and `json.dump` write. Only a guess: a wrong one costs balance.
    static func likelyImagesEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var searchFrom = from
        while let key = ByteSearch.first("\"annotations\"", in: bytes, from: searchFrom, to: bytes.count) {
            var i = key
            func back() { while i > from, JSONScanner.isWhitespace(bytes[i - 1]) { i -= 1 } }
            back()
            if i > from, bytes[i - 1] == UInt8(ascii: ",") {
                i -= 1
                back()
                if i > from, bytes[i - 1] == UInt8(ascii: "]") { return i - 1 }
            }
            searchFrom = key + 1
        }
        return nil
    }

    /// Where the value of an `annotations` key right after the `]` at `imagesEnd` begins (at its
    /// `[`), whitespace allowed between the tokens; nil when something else follows.
    static func annotationsValue(_ bytes: UnsafeRawBufferPointer, after imagesEnd: Int) -> Int? {
        var reader = AnnotationReader.TokenReader(bytes: bytes)
        guard let comma = reader.literal(reader.skip(imagesEnd + 1), ","),
              let key = reader.literal(reader.skip(comma), "\"annotations\""),
              let colon = reader.literal(reader.skip(key), ":") else { return nil }
        let value = reader.skip(colon)
        return value < bytes.count && bytes[value] == UInt8(ascii: "[") ? value : nil
    }

    /// The `images` array from `start` read on a core of its own beside the `annotations` array
    /// from `annotations`, as each would be read in turn. The annotations' result is the caller's
    /// to take only where its scan reaches the `annotations` value at `annotations`: the images'
    /// likely end (`likelyEnd`, their `]`) may have been a member inside an image.
    static func scanImagesBeside(_ bytes: UnsafeRawBufferPointer, from start: Int, likelyEnd: Int, annotations: Int,
                                 known: KnownAnnotations?, minifying: Bool)
        -> (images: Result<(Range<Int>, Bool, [ImageEntry]), JSONSyntaxError>, annotations: Result<ScannedAnnotations, JSONSyntaxError>) {
        let shared = SharedBytes(bytes: bytes)
        let images = ResultSlots<Result<(Range<Int>, Bool, [ImageEntry]), JSONSyntaxError>>(count: 1)
        // An image costs about three times an annotation's bytes to read when the annotations
        // are matched rather than parsed (10k images: 2.0 ms for 1.4 MB, 14 ms of CPU for 30 MB).
        let weight = (likelyEnd - start) * (known?.searchable == true ? 3 : 1)
        let beside = Beside(work: {
            images[0] = Result { () throws(JSONSyntaxError) in
                var scanner = JSONScanner(shared.bytes, position: start)
                let (range, spaced, entries, _) = try scanEntries(&scanner, key: "images", likelyEnd: likelyEnd) { ImageReader() }
                return (range, spaced, entries)
            }
        }, weight: weight)
        var scanner = JSONScanner(bytes, position: annotations)
        let ahead = Result { () throws(JSONSyntaxError) in
            try scanAnnotations(&scanner, known: known, minifying: minifying, beside: beside)
        }
        return (images.take(0)!, ahead)
    }

    /// An `annotations` array scanned: its entries and, when known annotations were looked up,
    /// the readers (one per chunk, in order) with what they learned.
    struct ScannedAnnotations: Sendable {
        var range: Range<Int>
        var spaced: Bool
        var entries: [AnnotationEntry]
        var readers: [AnnotationReader]?
    }

    /// Scans the `annotations` array at the scanner: matched through `known` when given.
    static func scanAnnotations(_ scanner: inout JSONScanner, known: KnownAnnotations?, minifying: Bool,
                                beside: Beside? = nil) throws(JSONSyntaxError) -> ScannedAnnotations {
        if let known {
            let (range, spaced, entries, readers) = try scanEntries(&scanner, key: "annotations", beside: beside) {
                AnnotationReader(known, minifying: minifying)
            }
            return ScannedAnnotations(range: range, spaced: spaced, entries: entries, readers: readers)
        }
        let (range, spaced, entries, _) = try scanEntries(&scanner, key: "annotations", beside: beside) { PlainAnnotationReader() }
        return ScannedAnnotations(range: range, spaced: spaced, entries: entries, readers: nil)
    }

    /// What the readers learned, in order (`AnnotationReader.learned`, `.entries`): the first
    /// chunk's array, which reserved room for all, moved rather than copied.
    static func joined<Element>(_ readers: inout [AnnotationReader], _ part: WritableKeyPath<AnnotationReader, [Element]>) -> [Element] {
        var all: [Element] = []
        swap(&all, &readers[0][keyPath: part])
        for reader in readers.dropFirst() { all += reader[keyPath: part] }
        return all
    }

    /// The entries of an `images` or `annotations` array, and the readers that read them (one per
    /// chunk, in order): on all cores when it is large, else sequentially; the result is the same
    /// either way.
    static func scanEntries<Reader: ElementReader>(_ scanner: inout JSONScanner, key: String, likelyEnd: Int? = nil,
                                                   beside: Beside? = nil, makeReader: @escaping @Sendable () -> Reader)
        throws(JSONSyntaxError) -> (range: Range<Int>, spaced: Bool, entries: [Reader.Entry], readers: [Reader]) {
        if let scanned = try ParallelArrayScan.scan(&scanner, key: key, likelyEnd: likelyEnd, beside: beside,
                                                    makeReader: makeReader) { return scanned }
        var entries: [Reader.Entry] = []
        var reader = makeReader()
        let (range, spaced) = try scanArray(&scanner, key: key) { (s, start) throws(JSONSyntaxError) in
            entries.append(try reader.read(&s, start))
        }
        return (range, spaced, entries, [reader])
    }

    /// Scans an array of objects, calling `element` with the scanner at each object's `{` and the
    /// object's start offset; `element` consumes the object. Returns the array's range and whether
    /// any object contained whitespace between its tokens (then it is re-indexed minified).
    static func scanArray(_ scanner: inout JSONScanner, key: String,
                          element: (inout JSONScanner, Int) throws(JSONSyntaxError) -> Void)
        throws(JSONSyntaxError) -> (range: Range<Int>, spaced: Bool) {
        let start = scanner.position
        guard scanner.peek() == UInt8(ascii: "[") else {
            let found = scanner.peek()
            _ = try scanner.scanValue()
            throw JSONSyntaxError.rule("\"\(key)\" must be an array, found \(describe(found))", at: start)
        }
        var spaced = false
        scanner.position += 1
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "]") { scanner.position += 1; return (start..<scanner.position, false) }
        while true {
            scanner.skipWhitespace()
            let elementStart = scanner.position
            guard scanner.peek() == UInt8(ascii: "{") else { throw try notAnObject(&scanner, key: key) }
            scanner.sawWhitespace = false
            try element(&scanner, elementStart)
            spaced = spaced || scanner.sawWhitespace
            scanner.skipWhitespace()
            let c = scanner.peek()
            if c == UInt8(ascii: ",") { scanner.position += 1; continue }
            if c == UInt8(ascii: "]") { scanner.position += 1; return (start..<scanner.position, spaced) }
            throw scanner.unexpected(expected: "',' or ']'")
        }
    }

    /// The error for the entry of the array `key` at the scanner, which is not an object: the
    /// value's own syntax error first, if it has one (the sequential and the parallel scans
    /// report the same); else a rule broken by valid JSON, not invalid JSON.
    static func notAnObject(_ scanner: inout JSONScanner, key: String) throws(JSONSyntaxError) -> JSONSyntaxError {
        let (start, found) = (scanner.position, scanner.peek())
        _ = try scanner.scanValue()
        return JSONSyntaxError.rule("each entry of \"\(key)\" must be an object, found \(describe(found))", at: start)
    }
}
