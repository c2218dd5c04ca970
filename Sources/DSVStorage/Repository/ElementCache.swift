import DSVNative

/// The elements the last commit read, kept locally so that the next round need not parse again
/// the objects it already read: for each (in the order they came), the `ElementKey` digest of
/// its bytes from some point on (what the reader chose to key it by) and the place of one value
/// in those bytes that the reader reads again on a match. The reader decides what a match
/// proves; this file only keeps the digests.
///
/// `.dsv/dsv-elements.cache`: a magic line, the key's check (`ElementKey.check`), the entry
/// count and a CRC-32 of the entries, then 22-byte entries (digest, little-endian; value
/// offset, 16 bits; the digested bytes' length, 16 bits, 0 when not kept; value length; flags:
/// 1 when the digested bytes came from an object with whitespace between its tokens, 2 when
/// from one with its `id` last). Each commit rewrites it in place, the header last: a torn
/// write fails the CRC. It only saves work: a missing, damaged or foreign file reads as empty.
/// Read in place from its mapping, not decoded (and shared read-only between threads: hence
/// `@unchecked`).
public struct ElementCache: @unchecked Sendable {
    public struct Entry: Equatable, Sendable {
        public var digest: Fingerprint
        /// Where the value lies in the digested bytes; `ElementCache.noValue` for none.
        public var valueOffset: UInt16
        public var valueLength: UInt8
        /// Whether the object the bytes were read from had whitespace between its tokens (a
        /// `json.dump` or pretty-printed export): an object matched by them is spaced too.
        public var spaced: Bool
        /// Whether the object had its `id` last (pycocotools, Datumaro): what was digested then
        /// ends before the `id`, and matches only another such object.
        public var idLast: Bool
        /// How many bytes were digested, when the reader kept it (0: not kept): where the object
        /// matching this entry would end, to be confirmed by its digest.
        public var length: UInt16

        public init(digest: Fingerprint, valueOffset: UInt16, valueLength: UInt8, spaced: Bool = false, idLast: Bool = false,
                    length: UInt16 = 0) {
            self.digest = digest
            self.valueOffset = valueOffset
            self.valueLength = valueLength
            self.spaced = spaced
            self.idLast = idLast
            self.length = length
        }
    }

    public static let noValue = UInt16.max
    static let magic = Array("dsv element cache 2\n".utf8)
    public static let entrySize = 22
    /// The bits of an entry's flags byte: `Entry.spaced` and `Entry.idLast`.
    static let spacedFlag: UInt8 = 1, idLastFlag: UInt8 = 2
    static var headerSize: Int { magic.count + 16 + 8 }

    public let path: String
    public let key: ElementKey
    public let count: Int
    private let entries: UnsafeRawBufferPointer
    /// Keeps `entries` mapped.
    private let mapping: FileMapping?

    /// Where `repository` keeps its cache.
    public static func path(in repository: DatasetRepository) -> String {
        joinPath(repository.path, "dsv-elements.cache")
    }

    /// Reads the cache at `path` kept under `key`; anything unreadable, or kept under another
    /// key, gives an empty cache.
    public init(path: String, key: ElementKey) {
        self.path = path
        self.key = key
        let mapping = try? FileMapping(path: path)
        let bytes = mapping?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        let keyEnd = Self.magic.count + 16
        guard bytes.count >= Self.headerSize, bytes.prefix(Self.magic.count).elementsEqual(Self.magic),
              bytes[Self.magic.count..<keyEnd].elementsEqual(key.check) else {
            (count, entries, self.mapping) = (0, UnsafeRawBufferPointer(start: nil, count: 0), nil)
            return
        }
        let count = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: keyEnd, as: UInt32.self)))
        let entries = UnsafeRawBufferPointer(rebasing: bytes[Self.headerSize...])
        var crc = CRC32()
        crc.update(entries)
        guard entries.count == count * Self.entrySize,
              crc.value == UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: keyEnd + 4, as: UInt32.self)) else {
            (self.count, self.entries, self.mapping) = (0, UnsafeRawBufferPointer(start: nil, count: 0), nil)
            return
        }
        (self.count, self.entries, self.mapping) = (count, entries, mapping)
    }

    /// The digest of entry `index`.
    @inline(__always)
    public func digest(_ index: Int) -> Fingerprint {
        let at = index &* Self.entrySize
        return Fingerprint(high: UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self)),
                           low: UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
    }

    /// Entry `index`.
    @inline(__always)
    public subscript(index: Int) -> Entry {
        let at = index &* Self.entrySize
        return Entry(digest: digest(index),
                     valueOffset: UInt16(littleEndian: entries.loadUnaligned(fromByteOffset: at + 16, as: UInt16.self)),
                     valueLength: entries[at + 20], spaced: entries[at + 21] & Self.spacedFlag != 0,
                     idLast: entries[at + 21] & Self.idLastFlag != 0,
                     length: UInt16(littleEndian: entries.loadUnaligned(fromByteOffset: at + 18, as: UInt16.self)))
    }

    /// Rewrites the file with the entries appended, in order, under `key`, through a buffer of
    /// a MiB (a train2017-sized cache is never held whole in memory). Best effort: the cache only
    /// saves work, and a writer that failed, or was dropped unfinished, leaves a file that fails
    /// its CRC.
    public final class Writer {
        private let file: OverwrittenFile?
        private let head: [UInt8]
        /// Entries not yet written, in the file's layout.
        private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Writer.bufferSize, alignment: 8)
        private var buffered = 0
        private var written: Int
        private var count = 0
        private var crc = CRC32()
        private var failed = false
        static let bufferSize = (1 << 20) / ElementCache.entrySize * ElementCache.entrySize

        public init(path: String, key: ElementKey) {
            file = try? OverwrittenFile(path: path)
            head = ElementCache.magic + key.check
            written = ElementCache.headerSize
        }

        deinit { buffer.deallocate() }

        @inline(__always)
        public func append(_ entry: Entry) {
            buffer.storeBytes(of: entry.digest.low.littleEndian, toByteOffset: buffered, as: UInt64.self)
            buffer.storeBytes(of: entry.digest.high.littleEndian, toByteOffset: buffered + 8, as: UInt64.self)
            buffer.storeBytes(of: entry.valueOffset.littleEndian, toByteOffset: buffered + 16, as: UInt16.self)
            buffer.storeBytes(of: entry.length.littleEndian, toByteOffset: buffered + 18, as: UInt16.self)
            buffer[buffered + 20] = entry.valueLength
            buffer[buffered + 21] = (entry.spaced ? ElementCache.spacedFlag : 0) | (entry.idLast ? ElementCache.idLastFlag : 0)
            buffered += ElementCache.entrySize
            count += 1
            if buffered == Self.bufferSize { flush() }
        }

        private func flush() {
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<buffered])
            crc.update(bytes)
            if !failed, let file { failed = (try? file.write(bytes, at: written)) == nil }
            written += buffered
            buffered = 0
        }

        /// Writes the header and cuts the file to what was written.
        public func finish() {
            flush()
            guard let file, !failed, count <= Int(UInt32.max) else { return }
            var header = head
            withUnsafeBytes(of: UInt32(count).littleEndian) { header += $0 }
            withUnsafeBytes(of: crc.value.littleEndian) { header += $0 }
            try? header.withUnsafeBytes { try file.write($0, at: 0) }
            try? file.finish(length: written)
        }
    }
}
