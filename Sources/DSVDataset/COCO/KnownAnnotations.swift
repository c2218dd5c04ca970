import DSVNative
import DSVStorage

/// The annotation objects the last commit read (`ElementCache`), so that a next round skips
/// parsing those it reads again — nearly all of them, when 1% of the images changed.
///
/// What is keyed: CVAT writes every annotation as `{"id":N,"image_id":M,` and the rest; it
/// renumbers `id`s between exports (and `image_id`s may move), so the key is the digest of
/// the rest — the *tail*, from the `,` after the image id to the closing `}`. A tail is learned
/// only from an object that was read in full, with its `id` and `image_id` the ones at the
/// front, and its tail under `ElementKey.maximumLength`. An object with its `id` last
/// (pycocotools, Datumaro: `{"image_id":M,` … `,"id":N}`) is keyed by its tail up to the `,`
/// before the `id`; such a key is marked (`ElementCache.Entry.idLast`) and matches only
/// another such object — an `id`-first tail followed by `,"id":N}` is no object at all.
///
/// Spaced exports (`json.dump`'s `", "` and `": "`, pretty-printers' newlines) are read from a
/// minified copy of the whole file (`MinifiedCopy`), and matched as compact ones are. One read
/// as written (spaced only where the reader's samples did not look) is read twice: once as
/// written, to check it, then its spaced arrays from minified copies. Both passes match: the
/// cache keeps the tails of the minified copy, as for a compact export, and after them those of
/// the file as written (`COCOExport.spacedTails`, marked spaced so that an object they match
/// sends its array to the minified pass too).
///
/// Why a match may skip the parse: the object at hand is `{"id":N′,"image_id":M′` (checked
/// here: two JSON integers) followed by a tail whose digest equals that of a tail which
/// completed a valid annotation object (equal bytes, but for a chance below 2⁻¹²⁶ under the
/// repository's secret key). Putting other integers in place of N and M (and other whitespace
/// between the front's tokens) leaves a valid object of the same members in the same places;
/// so the object ends where the tail does, and its `category_id` lies where it lay in the
/// tail, read again from the bytes at hand. A tail that only looks complete — a `},{` inside a
/// string or a nested array — has no digest on record and is read in full (unless the whole
/// object is the one expected next, below), as is everything else: the entries, errors and
/// their places are those of a full parse.
///
/// Where to look: mostly the entry after the last one matched (the new export follows the
/// old one's order), where the length it recorded says the object ends — its digest confirms
/// that, so a tail that looks complete early is matched too, and no `}` is searched for (a
/// fifth of a 10k status's matching was `memchr`); else from the first `}` followed by `,{` or
/// `]`: a few entries on, to step over removed objects, or, to find its place again after a
/// reordering or at the start of a parallel chunk, one of every 16 entries by digest.
public final class KnownAnnotations: Sendable {
    let cache: ElementCache
    /// The index of every 16th entry, by digest.
    private let landmarks: [Fingerprint: Int32]
    static let landmarkSpacing = 16
    /// Entries tried after the expected one before the landmarks.
    static let window = 8

    /// Whether there is anything to look up (a first commit only learns).
    let searchable: Bool

    public init(_ cache: ElementCache) {
        self.cache = cache
        var landmarks: [Fingerprint: Int32] = [:]
        landmarks.reserveCapacity(cache.count / Self.landmarkSpacing + 1)
        for index in stride(from: 0, to: cache.count, by: Self.landmarkSpacing) {
            landmarks[cache.digest(index)] = Int32(index)
        }
        self.landmarks = landmarks
        searchable = cache.count > 0
    }

    /// The entry with `digest`, looked for from `cursor` on; on a match, `cursor` moves past it.
    @inline(__always)
    func find(_ digest: Fingerprint, from cursor: inout Int) -> Int? {
        var index = cursor
        let window = min(cursor + Self.window + 1, cache.count)
        while index < window {
            if cache.digest(index) == digest {
                cursor = index + 1
                return index
            }
            index += 1
        }
        guard let landmark = landmarks[digest] else { return nil }
        cursor = Int(landmark) + 1
        return Int(landmark)
    }

    /// Writes what the next round will know: each annotation of `exports` with a tail digest,
    /// in order, with the place of its `category_id` in the tail (one too long to record is
    /// left out: the next round parses that object); after each spaced export's, the digests of
    /// its tails as the file wrote them (`COCOExport.spacedTails`), which the next round's first
    /// pass over that file matches.
    public static func save(_ exports: [COCOExport], key: ElementKey, to path: String) {
        let writer = ElementCache.Writer(path: path, key: key)
        for export in exports where !export.tailDigests.isEmpty {
            if export.annotationsAsWritten {
                // Worked out as the file was read, where the minified tails were at hand.
                for entry in export.learnedEntries.joined() where entry.digest != .zero { writer.append(entry) }
                continue
            }
            // The bytes `annotations` index are compact (an array with any whitespace is indexed
            // in its minified copy): each tail starts right after its image id, and the bytes
            // are not read again — a cache miss per annotation, long out of the CPU's caches.
            for (annotation, digest) in zip(export.annotations, export.tailDigests) {
                if let entry = entry(annotation, tail: annotation.imageIDRange.upperBound, digest: digest, spaced: false) {
                    writer.append(entry)
                }
            }
            for entry in export.spacedTails { writer.append(entry) }
        }
        writer.finish()
    }

    /// What the cache keeps of `annotation`, whose tail starts at `tail` (the `,` after the
    /// image id: whitespace before it is the front's) and has `digest`: nil for none
    /// (`Fingerprint.zero`) or for a `category_id` too far into the tail or too long to record.
    /// An `id`-first tail's length is kept too (it runs to the object's end), so that the next
    /// round can look for the object's end where the entry it expects says.
    static func entry(_ annotation: AnnotationEntry, tail: Int, digest: Fingerprint, spaced: Bool) -> ElementCache.Entry? {
        guard digest != .zero else { return nil }
        let idLast = (annotation.idRange?.lowerBound ?? 0) > tail
        let digested = annotation.range.upperBound - tail
        let length = !idLast && digested <= ElementKey.maximumLength ? UInt16(digested) : 0
        return entry(digest: digest, category: annotation.categoryIDRange.map { ($0.lowerBound - tail, $0.count) }, spaced: spaced,
                     idLast: idLast, length: length)
    }

    /// The entry for a tail with `digest` whose object's `category_id` lies at `category` (its
    /// offset in the tail and its length; nil when the object has none): nil when that place
    /// does not fit an entry.
    static func entry(digest: Fingerprint, category: (offset: Int, length: Int)?, spaced: Bool, idLast: Bool,
                      length: UInt16) -> ElementCache.Entry? {
        guard let category else {
            return ElementCache.Entry(digest: digest, valueOffset: ElementCache.noValue, valueLength: 0, spaced: spaced, idLast: idLast,
                                      length: length)
        }
        guard category.offset < Int(ElementCache.noValue), category.length < Int(UInt8.max) else { return nil }
        return ElementCache.Entry(digest: digest, valueOffset: UInt16(category.offset), valueLength: UInt8(category.length),
                                  spaced: spaced, idLast: idLast, length: length)
    }
}
