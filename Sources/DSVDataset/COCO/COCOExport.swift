import DSVJSON
import DSVNative
import DSVStorage

/// One COCO file as the reader indexes it: the file's bytes and where every part lies in them.
/// Nothing is re-rendered; every value keeps its exact text. A file spaced between its tokens
/// is indexed in a minified copy of it (`MinifiedCopy`); read as written, its arrays that were
/// not written compactly are minified into arenas of their own and indexed there — but in a
/// next round, indexed in the file itself (`annotationsAsWritten`, `imagesAsWritten`).
public final class COCOExport: @unchecked Sendable {
    /// The path as the user gave it (for messages).
    public let name: String
    /// The file's bytes (a read-only mapping), or those of its minified copy.
    let mapping: FileMapping
    /// Minified copies of the `images` / `annotations` arrays when the file was not compact
    /// (anonymous mappings, so that their bytes stay put while the export lives).
    var imagesArena: FileMapping?
    var annotationsArena: FileMapping?

    /// Top-level members in file order.
    public internal(set) var members: [TopLevelMember] = []
    /// Whitespace (and a UTF-8 BOM) before the top-level object, and whitespace after it.
    public internal(set) var leading: Range<Int> = 0..<0
    public internal(set) var trailing: Range<Int> = 0..<0

    public internal(set) var images: [ImageEntry] = []
    public internal(set) var annotations: [AnnotationEntry] = []
    /// For each annotation, the index in `images` of the image it belongs to.
    public internal(set) var annotationImages: [Int32] = []
    /// For each annotation, the index in `categories` of its category; -1 when it has no
    /// `category_id` or the file has no categories.
    public internal(set) var annotationCategories: [Int32] = []
    /// The `categories` member, parsed (it is small).
    public internal(set) var categories: [COCOCategory] = []
    /// Per annotation, the digest of its tail (`KnownAnnotations`), or `Fingerprint.zero`; empty
    /// when the reader was given nothing to learn for. Tails of the bytes `annotations` index:
    /// the file's, or for a spaced array its minified copy's.
    public internal(set) var tailDigests: [Fingerprint] = []
    /// For a spaced `annotations` array, what the cache keeps of its tails as the file wrote
    /// them (the first pass's): the next round's first pass over such a file matches these.
    public internal(set) var spacedTails: [ElementCache.Entry] = []
    /// Whether the `annotations` entries index the file as written, whitespace and all, in a
    /// next round of a spaced file (`KnownAnnotations`' minifying reader): a record made of one
    /// is the object minified (`TemplateEdits.withMinified`), as a compact file holds it.
    public internal(set) var annotationsAsWritten = false
    /// The same for the `images` entries, in such a round.
    public internal(set) var imagesAsWritten = false
    /// For such a file, per annotation, what the cache keeps of it — its minified tail's
    /// digest, length and `category_id` place — or an entry with a zero digest for none
    /// (`KnownAnnotations.save` writes these rather than working them out of the entries).
    /// In the parts the scan's chunks learned them, one after the other: read once, in order,
    /// they are not copied together (5 ms of a `json.dump` next round at train2017's size).
    public internal(set) var learnedEntries: [[ElementCache.Entry]] = []
    /// Annotations matched with ones the last commit read, rather than parsed.
    public internal(set) var matchedAnnotations = 0
    /// Whether the file has an `annotations` member at all (an image-info file has none).
    public var hasAnnotations: Bool { members.contains { $0.kind == .annotations } }

    init(name: String, mapping: FileMapping) {
        self.name = name
        self.mapping = mapping
    }

    public var fileBytes: UnsafeRawBufferPointer { mapping.bytes }

    /// The bytes `images` entries index (the file's, or its minified copy), valid while the
    /// export lives.
    public var imageBytes: UnsafeRawBufferPointer { (imagesArena ?? mapping).bytes }

    /// The bytes `annotations` entries index, valid while the export lives.
    public var annotationBytes: UnsafeRawBufferPointer { (annotationsArena ?? mapping).bytes }

    /// Gives back the memory of the bytes that exist only for this export — a spaced file's
    /// minified copy, its arrays minified apart — and not the file's own pages (another reader,
    /// the sources' SHA-256, may still want those). Nothing may read them afterwards.
    func releaseCopies() {
        for bytes in allBytes where !bytes.isFile { bytes.release(0..<bytes.count) }
    }

    /// Everything the entries were read from.
    private var allBytes: [FileMapping] { [mapping, imagesArena, annotationsArena].compactMap { $0 } }
}

/// A member of the top-level object.
public struct TopLevelMember: Sendable {
    public enum Kind: Sendable { case images, annotations, other }
    /// The key as decoded text.
    public let key: String
    /// The key literal with its quotes, exactly as written.
    public let keyRange: Range<Int>
    public let valueRange: Range<Int>
    public let kind: Kind
}

/// An image object: its bytes, its `id` value and its `file_name` (the image key).
public struct ImageEntry: Sendable {
    public var range: Range<Int>
    public var idRange: Range<Int>?
    public var fileName: String
    /// The id as a canonical integer, parsed while its bytes were at hand; `CanonicalInteger.absent`
    /// when it is not one.
    public var id: Int64 = CanonicalInteger.absent
}

/// An annotation object and the values dsv needs to place it: `id`, `image_id`, `category_id`,
/// where each is written, and its value when it is a canonical integer (else
/// `CanonicalInteger.absent`), parsed during the scan: looking the bytes up again later, a
/// million times over a file that no longer fits in the caches, costs more than the scan.
///
/// There are a million of these per export, so the places are kept as 32-bit offsets within the
/// object (64 bytes an entry instead of 104) and offered as ranges.
public struct AnnotationEntry: Sendable, Equatable {
    private let start: Int
    private let length: UInt32
    private let idPlace: Place
    private let imageIDPlace: Place
    private let categoryIDPlace: Place
    public let id: Int64
    public let imageID: Int64
    public let categoryID: Int64

    /// A value's offset from the object's start and its length; `offset == .max` for none.
    private struct Place: Sendable, Equatable {
        var offset: UInt32
        var length: UInt32
        static let none = Place(offset: .max, length: 0)
    }

    /// The largest object this can describe (4 GiB).
    public static let maximumLength = Int(UInt32.max - 1)

    /// - Precondition: `range.count <= maximumLength`, and the other ranges lie within `range`.
    init(range: Range<Int>, idRange: Range<Int>?, imageIDRange: Range<Int>, categoryIDRange: Range<Int>?,
         id: Int64, imageID: Int64, categoryID: Int64) {
        start = range.lowerBound
        length = UInt32(range.count)
        func place(_ value: Range<Int>?) -> Place {
            value.map { Place(offset: UInt32($0.lowerBound - range.lowerBound), length: UInt32($0.count)) } ?? .none
        }
        (idPlace, imageIDPlace, categoryIDPlace) = (place(idRange), place(imageIDRange), place(categoryIDRange))
        (self.id, self.imageID, self.categoryID) = (id, imageID, categoryID)
    }

    private func range(_ place: Place) -> Range<Int>? {
        place.offset == .max ? nil : start + Int(place.offset)..<start + Int(place.offset) + Int(place.length)
    }

    public var range: Range<Int> { start..<start + Int(length) }
    public var idRange: Range<Int>? { range(idPlace) }
    public var imageIDRange: Range<Int> { range(imageIDPlace)! }
    public var categoryIDRange: Range<Int>? { range(categoryIDPlace) }
}

/// A category: its id value, its name, and the whole object as parsed.
public struct COCOCategory: Sendable, Equatable {
    public var id: IDKey
    public var name: String
    public var object: JSONValue
}

/// An id value as a hashable key: whole numbers by value (`7`, and `7.0` or `7e0` as the same
/// id), anything else by its exact text. An export written through a float column (pandas
/// turns an id column with a gap into floats) says `"image_id": 7.0` for image 7, and
/// pycocotools, whose lookups are Python's `==`, takes it for that image; so does dsv. The
/// text itself is kept as written: only canonical integers are lifted out of records.
public enum IDKey: Hashable, Sendable, CustomStringConvertible {
    case integer(Int64)
    case text(String)

    /// The key of the id value at `range`.
    public init(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
        if let value = WholeNumber.value(bytes, range) { self = .integer(value) }
        else { self = .text(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)) }
    }

    public init(_ value: JSONValue) {
        if let text = value.numberText, let integer = WholeNumber.value(text) { self = .integer(integer) }
        else { self = .text(value.compact) }
    }

    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .text(let text): text
        }
    }
}

/// Integers written the one way `String(Int64)` writes them (`0`, `-12`, no `+`, no leading
/// zeros, no `-0`). Only these ids are lifted out of records, because only they re-render exactly.
public enum CanonicalInteger {
    /// Stands for "not a canonical integer" where an `Int64?` would cost twice the memory
    /// (parsed values have at most 18 digits, so this is never one).
    public static let absent = Int64.min

    /// `value` as an optional: nil for `absent`.
    @inline(__always)
    public static func optional(_ value: Int64) -> Int64? { value == absent ? nil : value }

    /// The value of `range`, or `absent`.
    @inline(__always)
    public static func value(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>?) -> Int64 {
        guard let range, let value = parse(bytes, range) else { return absent }
        return value
    }
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
        var i = range.lowerBound
        let end = range.upperBound
        guard i < end else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let digitsStart = i
        guard i < end, end - i <= 18 else { return nil }
        if bytes[i] == UInt8(ascii: "0") && (end - i > 1 || negative) { return nil }
        var value: Int64 = 0
        while i < end {
            let d = bytes[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            value = value * 10 + Int64(d)
            i += 1
        }
        guard i > digitsStart else { return nil }
        return negative ? -value : value
    }

    public static func parse(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBytes { parse($0, 0..<$0.count) }
    }
}

/// The value of a JSON number that is a whole number however it is written (`7.0`, `7e0`,
/// `70E-1`, `-0`), when it fits in an `Int64`: exactly, digit by digit, never through a double
/// (`12345678901234567.0` is not `12345678901234568`). A canonical integer — nearly every id —
/// is read by `CanonicalInteger`; only the others take the exact walk below.
public enum WholeNumber {
    @inline(__always)
    public static func value(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
        CanonicalInteger.parse(bytes, range) ?? exact(bytes, range)
    }

    @inline(never)
    static func exact(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64? {
        var i = range.lowerBound
        let end = range.upperBound
        func digit(_ index: Int) -> UInt8? {
            guard index < end else { return nil }
            let d = bytes[index] &- UInt8(ascii: "0")
            return d < 10 ? d : nil
        }
        var negative = false
        if i < end && bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var digits: [UInt8] = []
        while let d = digit(i) { digits.append(d); i += 1 }
        guard !digits.isEmpty else { return nil }
        var scale = 0
        if i < end && bytes[i] == UInt8(ascii: ".") {
            i += 1
            let start = digits.count
            while let d = digit(i) { digits.append(d); i += 1 }
            guard digits.count > start else { return nil }
            scale -= digits.count - start
        }
        if i < end && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var negativeExponent = false
            if i < end && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                negativeExponent = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponent = 0, any = false
            while let d = digit(i) { exponent = min(exponent * 10 + Int(d), 100_000); any = true; i += 1 }
            guard any else { return nil }
            scale += negativeExponent ? -exponent : exponent
        }
        guard i == end else { return nil }
        while scale < 0, digits.last == 0 { digits.removeLast(); scale += 1 }
        let significant = digits.drop { $0 == 0 }
        if significant.isEmpty { return 0 }
        guard scale >= 0, significant.count + scale <= 19 else { return nil }
        var value: Int64 = 0
        for d in significant + repeatElement(0, count: scale) {
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = times.addingReportingOverflow(Int64(d))
            guard !overflow && !carry else { return nil }
            value = sum
        }
        return negative ? -value : value
    }

    public static func value(_ text: String) -> Int64? {
        Array(text.utf8).withUnsafeBytes { value($0, 0..<$0.count) }
    }
}
