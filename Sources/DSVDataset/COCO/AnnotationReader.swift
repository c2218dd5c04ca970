import DSVJSON
import DSVNative
import DSVStorage

/// Reads annotation objects through `KnownAnnotations`: each is matched, or read in full (and
/// learned when eligible). One per chunk of a parallel scan.
struct AnnotationReader: ElementReader {
    let known: KnownAnnotations
    /// `known`'s, held here so that reading them takes no reference count per object.
    private let cache: ElementCache
    private let key: ElementKey
    private var cursor = 0
    /// One per object, in the array's order: its tail's digest, or `Fingerprint.zero` — what
    /// the next round will know (`KnownAnnotations.save`), and what the record fingerprints
    /// take in place of the tails.
    var learned: [Fingerprint] = []
    /// Objects matched rather than parsed.
    private(set) var matched = 0
    /// Where each tail is minified before it is digested, for a spaced file read as written
    /// (`COCOExport.annotationsAsWritten`), so that it matches what a compact file, or the
    /// minified copy of a spaced one, gave the last round — and nothing else of the file is
    /// copied. Nil for a compact file.
    private let scratch: MinifiedTail?
    var minifying: Bool { scratch != nil }
    /// When `minifying`, per object, what the cache will keep of it (`COCOExport.learnedEntries`).
    var entries: [ElementCache.Entry] = []

    init(_ known: KnownAnnotations, minifying: Bool = false) {
        self.known = known
        cache = known.cache
        key = known.cache.key
        scratch = minifying ? MinifiedTail() : nil
    }

    mutating func reserve(_ count: Int) {
        learned.reserveCapacity(count)
        if minifying { entries.reserveCapacity(count) }
    }

    mutating func read(_ scanner: inout JSONScanner, _ start: Int) throws(JSONSyntaxError) -> AnnotationEntry {
        if let scratch { return try readMinifying(&scanner, start, scratch) }
        let bytes = scanner.bytes
        guard let front = Self.front(bytes, start) else {
            learned.append(.zero)
            return try COCOReader.scanAnnotation(&scanner, start)
        }
        // The entry expected next says where an `id`-first object ends, if it is that one:
        // its digest confirms it, without searching for the end `}` by `}`.
        if known.searchable, let id = front.id, cursor < cache.count, case let expected = cache[cursor],
           !expected.idLast, expected.length > 0, case let end = front.tail + Int(expected.length), end <= bytes.count,
           bytes[end - 1] == UInt8(ascii: "}"),
           key.digest(UnsafeRawBufferPointer(rebasing: bytes[front.tail..<end]), readable: bytes) == expected.digest {
            cursor += 1
            return match(expected, category: Self.category(of: expected) { front.tail + $0 }, front: front, id: id,
                         start: start, end: end, whitespace: front.spaced || expected.spaced, &scanner)
        }
        if known.searchable, let end = Self.likelyEnd(bytes, from: front.tail),
           let keyed = Self.keyed(front, end: end, bytes),
           let digest = key.digest(UnsafeRawBufferPointer(rebasing: bytes[front.tail..<keyed.end]), readable: bytes),
           let index = known.find(digest, from: &cursor), case let entry = cache[index], entry.idLast == (front.id == nil) {
            return match(entry, category: Self.category(of: entry) { front.tail + $0 }, front: front, id: keyed.id,
                         start: start, end: end, whitespace: keyed.spaced || entry.spaced, &scanner)
        }
        let annotation = try COCOReader.scanAnnotation(&scanner, start)
        guard annotation.imageIDRange == front.imageID,
              let keyed = Self.keyed(front, end: annotation.range.upperBound, bytes), annotation.idRange == keyed.id,
              let digest = key.digest(UnsafeRawBufferPointer(rebasing: bytes[front.tail..<keyed.end]), readable: bytes) else {
            learned.append(.zero)
            return annotation
        }
        learned.append(digest)
        return annotation
    }

    /// `read` for a file read as written: the object's tail is minified, then matched or
    /// learned by its digest, as the same object in a compact file would be. Where the object
    /// ends is guessed — the first `}` followed by `,{` or `]` — and the digest confirms it. For
    /// the entry expected next, the guess starts no sooner than the length it kept: that of the
    /// tail in the file it was learned from (a compact file's, or a spaced round's as written),
    /// never more than this tail's, which only whitespace makes longer than its minified form.
    private mutating func readMinifying(_ scanner: inout JSONScanner, _ start: Int,
                                        _ scratch: MinifiedTail) throws(JSONSyntaxError) -> AnnotationEntry {
        let bytes = scanner.bytes
        guard let front = Self.front(bytes, start) else {
            learn(.zero, nil)
            return try COCOReader.scanAnnotation(&scanner, start)
        }
        var found: (index: Int, end: Int, id: Range<Int>)?
        if known.searchable, let id = front.id, cursor < cache.count, case let expected = cache[cursor], !expected.idLast,
           expected.length > 0 {
            // A few guesses, each past the last: a nested array of objects, or a string, may
            // hold `},{` where a pretty-printer's whitespace moved it past the length kept.
            var from = front.tail + Int(expected.length) - 1
            for _ in 0..<Self.guesses {
                guard let end = Self.likelyEnd(bytes, from: from, extent: Self.spacedExtent),
                      let tail = scratch.minify(bytes, front.tail..<end) else { break }
                if key.digest(tail, readable: scratch.readable) == expected.digest {
                    found = (cursor, end, id)
                    cursor += 1
                    break
                }
                from = end
            }
        }
        // Else wherever the object seems to end, and whichever entry has its digest.
        if found == nil, known.searchable, let end = Self.likelyEnd(bytes, from: front.tail, extent: Self.spacedExtent),
           let keyed = Self.keyed(front, end: end, bytes), let tail = scratch.minify(bytes, front.tail..<keyed.end),
           let digest = key.digest(tail, readable: scratch.readable),
           let index = known.find(digest, from: &cursor), cache[index].idLast == (front.id == nil) {
            found = (index, end, keyed.id)
        }
        if let (index, end, id) = found {
            let entry = cache[index]
            // The entry places the category in the minified tail: found again in the file's. The
            // entry kept is the one matched, with the length of the tail in this file.
            var kept = entry
            (kept.spaced, kept.length) = (false, entry.idLast ? 0 : Self.length(end - front.tail))
            return match(entry, category: Self.category(of: entry) { Self.place(ofMinified: $0, from: front.tail, in: bytes) },
                         front: front, id: id, start: start, end: end, whitespace: false, keeping: kept, &scanner)
        }
        let annotation = try COCOReader.scanAnnotation(&scanner, start)
        guard annotation.imageIDRange == front.imageID,
              let keyed = Self.keyed(front, end: annotation.range.upperBound, bytes), annotation.idRange == keyed.id else {
            learn(.zero, nil)
            return annotation
        }
        // Learned as a compact file's object would be: the minified tail, with the category's
        // place in it when the category lies in the tail.
        let tailRange = front.tail..<keyed.end
        let category = annotation.categoryIDRange.flatMap { tailRange.contains($0.lowerBound) ? $0 : nil }
        guard let (tail, categoryOffset) = scratch.minify(bytes, tailRange, marking: category?.lowerBound),
              let digest = key.digest(tail, readable: scratch.readable) else {
            learn(.zero, nil)
            return annotation
        }
        var place: (offset: Int, length: Int)?
        if let category, let categoryOffset { place = (categoryOffset, category.count) }
        let idLast = front.id == nil
        // A category outside the tail has no place in an entry: the object is not kept.
        let entry = annotation.categoryIDRange != nil && place == nil ? nil
            : KnownAnnotations.entry(digest: digest, category: place, spaced: false, idLast: idLast,
                                     length: idLast ? 0 : Self.length(tailRange.count))
        learn(digest, entry)
        return annotation
    }

    /// Where the object expected next ends, guesses tried.
    static let guesses = 4

    /// How far a spaced tail's end is looked for: whitespace may make a tail that a digest
    /// covers several times as long (a pretty-printer puts each number of a polygon on a line
    /// of its own, indented).
    static let spacedExtent = 16 * ElementKey.maximumLength

    /// A tail's length as an entry keeps it (0, not kept, when it does not fit).
    @inline(__always)
    static func length(_ count: Int) -> UInt16 { count <= Int(UInt16.max) ? UInt16(count) : 0 }

    /// Keeps an object's tail digest (for the record fingerprints) and, when `minifying`, the
    /// entry the cache will keep of it (none: a zero digest).
    @inline(__always)
    private mutating func learn(_ digest: Fingerprint, _ entry: ElementCache.Entry?) {
        learned.append(digest)
        if minifying { entries.append(entry ?? ElementCache.Entry(digest: .zero, valueOffset: 0, valueLength: 0)) }
    }

    /// Where in the file's bytes, from `start`, lies the byte that is at `offset` of their
    /// minified form (the start of a value: never inside a string, never whitespace).
    static func place(ofMinified offset: Int, from start: Int, in bytes: UnsafeRawBufferPointer) -> Int {
        var i = start, written = 0, inString = false
        while i < bytes.count {
            let c = bytes[i]
            if inString {
                if c == UInt8(ascii: "\\") {
                    (i, written) = (i + 2, written + 2)
                    continue
                }
                if c == UInt8(ascii: "\"") { inString = false }
            } else if JSONScanner.isWhitespace(c) {
                i += 1
                continue
            } else if written == offset {
                return i
            } else if c == UInt8(ascii: "\"") {
                inString = true
            }
            (i, written) = (i + 1, written + 1)
        }
        return i
    }

    /// The object from `start` to `end`, whose front is `front` and whose tail (up to its `id`,
    /// at `id`, when that comes last) has the digest of `entry`, its `category_id` at
    /// `category`: its entry, and the scanner after it. `whitespace`: what a full scan would
    /// have seen (an array read as written then has its objects re-read minified). `kept`: what
    /// the cache keeps of it, when `minifying`.
    @inline(__always)
    private mutating func match(_ entry: ElementCache.Entry, category: Range<Int>?,
                                front: (id: Range<Int>?, imageID: Range<Int>, tail: Int, spaced: Bool), id: Range<Int>,
                                start: Int, end: Int, whitespace: Bool, keeping kept: ElementCache.Entry? = nil,
                                _ scanner: inout JSONScanner) -> AnnotationEntry {
        let bytes = scanner.bytes
        scanner.position = end
        if whitespace { scanner.sawWhitespace = true }
        learn(entry.digest, kept)
        matched += 1
        return AnnotationEntry(range: start..<end, idRange: id, imageIDRange: front.imageID,
                               categoryIDRange: category, id: CanonicalInteger.value(bytes, id),
                               imageID: CanonicalInteger.value(bytes, front.imageID),
                               categoryID: CanonicalInteger.value(bytes, category))
    }

    /// Where `entry` says the `category_id` value is — its offset in the tail, placed in the bytes
    /// at hand by `place` — or nil when the object has none.
    @inline(__always)
    static func category(of entry: ElementCache.Entry, place: (Int) -> Int) -> Range<Int>? {
        guard entry.valueOffset != ElementCache.noValue else { return nil }
        let at = place(Int(entry.valueOffset))
        return at..<at + Int(entry.valueLength)
    }

    /// The start of an annotation object as CVAT writes it, `{"id":N,"image_id":M,`, or with
    /// `id` last, as pycocotools and Datumaro write it, `{"image_id":M,` — JSON whitespace
    /// allowed between the tokens, as `json.dump` and pretty-printers write them — with N and M
    /// JSON integers of at most 18 digits: their places (`id` nil when it comes last), the
    /// tail's start (the `,` after M), and whether there was whitespace.
    @inline(__always)
    static func front(_ bytes: UnsafeRawBufferPointer, _ start: Int)
        -> (id: Range<Int>?, imageID: Range<Int>, tail: Int, spaced: Bool)? {
        var reader = TokenReader(bytes: bytes)
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{") else { return nil }
        var at = reader.skip(start + 1)
        var id: Range<Int>?
        if let idKey = reader.literal(at, "\"id\"") {
            guard let colon = reader.literal(reader.skip(idKey), ":") else { return nil }
            let idStart = reader.skip(colon)
            guard let idEnd = integerEnd(bytes, from: idStart), let comma = reader.literal(reader.skip(idEnd), ",") else { return nil }
            id = idStart..<idEnd
            at = reader.skip(comma)
        }
        guard let imageKey = reader.literal(at, "\"image_id\""), let imageColon = reader.literal(reader.skip(imageKey), ":") else { return nil }
        let imageStart = reader.skip(imageColon)
        guard let imageEnd = integerEnd(bytes, from: imageStart) else { return nil }
        let tail = reader.skip(imageEnd)
        guard tail < bytes.count, bytes[tail] == UInt8(ascii: ",") else { return nil }
        return (id, imageStart..<imageEnd, tail, reader.spaced)
    }

    /// What an object with `front`, ending at `end`, is keyed by: for `id` first, the tail up to
    /// the end; for `id` last, the tail up to the `,` before the last member, which must be
    /// `"id":N` (whitespace allowed). The place of the `id`, where the key ends, and whether
    /// front or back had whitespace. Nil when `id` is in neither place.
    @inline(__always)
    static func keyed(_ front: (id: Range<Int>?, imageID: Range<Int>, tail: Int, spaced: Bool), end: Int,
                    _ bytes: UnsafeRawBufferPointer) -> (id: Range<Int>, end: Int, spaced: Bool)? {
        if let id = front.id { return (id, end, front.spaced) }
        // Backwards from the closing brace: `,` `"id"` `:` N `}`.
        var spaced = front.spaced
        func back(_ at: Int) -> Int {
            var i = at
            while i > front.tail, JSONScanner.isWhitespace(bytes[i - 1]) { i -= 1 }
            if i != at { spaced = true }
            return i
        }
        guard end - 1 > front.tail, bytes[end - 1] == UInt8(ascii: "}") else { return nil }
        let idEnd = back(end - 1)
        var idStart = idEnd
        while idStart > front.tail, bytes[idStart - 1] &- UInt8(ascii: "0") < 10 { idStart -= 1 }
        if idStart > front.tail, bytes[idStart - 1] == UInt8(ascii: "-") { idStart -= 1 }
        guard integerEnd(bytes, from: idStart) == idEnd else { return nil }
        let colon = back(idStart)
        guard colon - 1 > front.tail, bytes[colon - 1] == UInt8(ascii: ":") else { return nil }
        let keyEnd = back(colon - 1)
        guard keyEnd - 4 > front.tail, COCOReader.keyIs(bytes, keyEnd - 4..<keyEnd, "\"id\"") else { return nil }
        let comma = back(keyEnd - 4)
        guard comma - 1 > front.tail, bytes[comma - 1] == UInt8(ascii: ",") else { return nil }
        return (idStart..<idEnd, comma - 1, spaced)
    }

    /// Literal tokens and the JSON whitespace between them, read forwards; remembers whether
    /// there was any.
    struct TokenReader {
        let bytes: UnsafeRawBufferPointer
        var spaced = false

        @inline(__always)
        mutating func skip(_ at: Int) -> Int {
            var i = at
            while i < bytes.count, JSONScanner.isWhitespace(bytes[i]) { i += 1 }
            if i != at { spaced = true }
            return i
        }

        /// The position after `text` when it is at `at`.
        @inline(__always)
        func literal(_ at: Int, _ text: StaticString) -> Int? {
            let count = text.utf8CodeUnitCount
            guard at + count <= bytes.count, COCOReader.keyIs(bytes, at..<at + count, text) else { return nil }
            return at + count
        }
    }

    /// Where the object ends if it ends at the first `}` followed by `,{` or `]` (whitespace
    /// allowed between them), within `extent` bytes: a guess that only a recorded digest confirms.
    @inline(__always)
    static func likelyEnd(_ bytes: UnsafeRawBufferPointer, from: Int, extent: Int = ElementKey.maximumLength) -> Int? {
        var position = from
        let limit = min(bytes.count, from + extent)
        while let brace = ByteSearch.first(UInt8(ascii: "}"), in: bytes, from: position, to: limit) {
            var next = brace + 1
            while next < bytes.count, bytes[next] <= 0x20 { next += 1 }
            if next < bytes.count, bytes[next] == UInt8(ascii: "]") { return brace + 1 }
            if next < bytes.count, bytes[next] == UInt8(ascii: ",") {
                next += 1
                while next < bytes.count, bytes[next] <= 0x20 { next += 1 }
                if next < bytes.count, bytes[next] == UInt8(ascii: "{") { return brace + 1 }
            }
            position = brace + 1
        }
        return nil
    }

    /// The end of a JSON integer (`-?(0|[1-9][0-9]*)`, at most 18 digits) starting at `from`.
    @inline(__always)
    static func integerEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var i = from
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < bytes.count && bytes[i] &- UInt8(ascii: "0") < 10 && i - digits < 19 { i += 1 }
        let count = i - digits
        guard count >= 1, count <= 18, count == 1 || bytes[digits] != UInt8(ascii: "0") else { return nil }
        return i
    }
}

/// Reads image objects (nothing to learn).
struct ImageReader: ElementReader {
    mutating func read(_ scanner: inout JSONScanner, _ start: Int) throws(JSONSyntaxError) -> ImageEntry {
        try COCOReader.scanImage(&scanner, start)
    }

    mutating func reserve(_ count: Int) {}
}

/// Reads annotation objects in full, learning nothing (when there is no repository to learn for).
/// A type of its own: an `AnnotationReader` with its known annotations optional took a reference
/// count on them per object when it unwrapped them, a tenth of a next round's time.
struct PlainAnnotationReader: ElementReader {
    mutating func read(_ scanner: inout JSONScanner, _ start: Int) throws(JSONSyntaxError) -> AnnotationEntry {
        try COCOReader.scanAnnotation(&scanner, start)
    }

    mutating func reserve(_ count: Int) {}
}
