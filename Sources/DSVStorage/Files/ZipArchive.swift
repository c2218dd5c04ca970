import DSVNative

/// A zip archive read in place (APPNOTE 6.3: the central directory, ZIP64 sizes and offsets,
/// stored and deflated entries). Only what dsv needs: list the entries, decode one into memory,
/// checked against its declared size and CRC-32. The archive is mapped, never copied.
public struct ZipArchive: Sendable {
    public struct Entry: Sendable, Equatable {
        /// The path inside the archive, `/`-separated.
        public var name: String
        public var method: UInt16
        public var flags: UInt16
        public var crc: UInt32
        public var compressedSize: Int
        public var size: Int
        public var localHeaderOffset: Int

        public var isDirectory: Bool { name.hasSuffix("/") }
        public var isEncrypted: Bool { flags & 1 != 0 }

        /// Whether this is one of a COCO export's annotation files, as CVAT lays its zips out:
        /// `annotations/<name>.json`, at the top or in one folder (a re-zipped export); not the
        /// resource forks macOS adds. Some Windows tools separate folders with `\`.
        public var isExportAnnotations: Bool {
            let components = name.split(omittingEmptySubsequences: false) { $0 == "/" || $0 == "\\" }
            guard !isDirectory, components.count >= 2, components[components.count - 2] == "annotations",
                  let file = components.last, file.hasSuffix(".json"), !file.hasPrefix("._"),
                  components.first != "__MACOSX" else { return false }
            return true
        }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not a zip archive, or a damaged one.
        case corrupt(archive: String, reason: String)
        /// A valid archive dsv cannot read: encryption, an unknown compression method, several disks.
        case unsupported(archive: String, reason: String)
        case unreadable(archive: String, reason: String)

        public var description: String {
            switch self {
            case .corrupt(let archive, let reason): "\(archive): not a readable zip archive: \(reason)"
            case .unsupported(let archive, let reason): "\(archive): \(reason)"
            case .unreadable(let archive, let reason): "cannot read \(archive): \(reason)"
            }
        }
    }

    public let path: String
    public let entries: [Entry]
    private let mapping: FileMapping

    static let methodStored: UInt16 = 0
    static let methodDeflated: UInt16 = 8

    public init(path: String) throws(Failure) {
        self.path = path
        do { mapping = try FileMapping(path: path) } catch { throw .unreadable(archive: path, reason: error.reason) }
        entries = try Self.centralDirectory(mapping.bytes, archive: path)
    }

    /// Whether a file starts like a zip archive (a local header, or the end record of an empty one).
    public static func looksLikeZip(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && (ZipReader.u32(bytes, 0) == 0x0403_4B50 || ZipReader.u32(bytes, 0) == 0x0605_4B50)
    }

    /// The entry's bytes, decoded into memory of their own; `name` labels them in messages.
    public func contents(of entry: Entry, name: String) throws(Failure) -> FileMapping {
        let bytes = mapping.bytes
        guard !entry.isEncrypted else { throw .unsupported(archive: path, reason: "\(entry.name) is encrypted") }
        guard entry.method == Self.methodStored || entry.method == Self.methodDeflated else {
            throw .unsupported(archive: path, reason: "\(entry.name) uses compression method \(entry.method); dsv reads stored and deflated entries")
        }
        let header = entry.localHeaderOffset
        guard header >= 0, header + 30 <= bytes.count, ZipReader.u32(bytes, header) == 0x0403_4B50 else {
            throw .corrupt(archive: path, reason: "no local header for \(entry.name)")
        }
        let start = header + 30 + Int(ZipReader.u16(bytes, header + 26)) + Int(ZipReader.u16(bytes, header + 28))
        guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw .corrupt(archive: path, reason: "\(entry.name) runs past the end of the archive")
        }
        let input = UnsafeRawBufferPointer(rebasing: bytes[start..<start + entry.compressedSize])
        if entry.method == Self.methodStored && entry.compressedSize != entry.size {
            throw .corrupt(archive: path, reason: "\(entry.name) is stored with two different sizes")
        }
        // Deflate expands at most 1,032 to 1: a larger declared size is a lie, refused before
        // any memory is set aside for it.
        if entry.method == Self.methodDeflated && entry.size / 1032 > entry.compressedSize + 1 {
            throw .corrupt(archive: path, reason: "\(entry.name) declares \(entry.size) bytes, more than its \(entry.compressedSize) compressed bytes can hold")
        }
        let output: FileMapping
        do { output = try FileMapping(anonymous: name, count: entry.size) } catch {
            throw .unreadable(archive: path, reason: "\(entry.name) declares \(entry.size) bytes: \(error.reason)")
        }
        do throws(Inflater.Failure) {
            if entry.method == Self.methodStored {
                if entry.size > 0 { output.writableBytes.copyMemory(from: input) }
                try Inflater.check(input, crc: entry.crc)
            } else {
                try Inflater.inflate(input, into: output.writableBytes, crc: entry.crc)
            }
        } catch {
            throw .corrupt(archive: path, reason: "\(entry.name): \(error.description)")
        }
        output.seal()
        return output
    }

    // MARK: Central directory

    private static func centralDirectory(_ bytes: UnsafeRawBufferPointer, archive: String) throws(Failure) -> [Entry] {
        func corrupt(_ reason: String) -> Failure { .corrupt(archive: archive, reason: reason) }
        // The end record is within the last 22 + 65,535 bytes (its comment is at most that long).
        guard bytes.count >= 22 else { throw corrupt("too short to be a zip archive") }
        var end = -1
        var candidate = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while candidate >= lowest {
            if ZipReader.u32(bytes, candidate) == 0x0605_4B50 && candidate + 22 + Int(ZipReader.u16(bytes, candidate + 20)) == bytes.count {
                end = candidate
                break
            }
            candidate -= 1
        }
        guard end >= 0 else { throw corrupt("no end of central directory record") }
        guard ZipReader.u16(bytes, end + 4) == 0 || ZipReader.u16(bytes, end + 4) == 0xFFFF else {
            throw .unsupported(archive: archive, reason: "archives split over several disks are not supported")
        }
        var count = Int(ZipReader.u16(bytes, end + 10))
        var size = Int(ZipReader.u32(bytes, end + 12))
        var offset = Int(ZipReader.u32(bytes, end + 16))
        // ZIP64: the locator sits right before the end record and points at the ZIP64 end record.
        if end >= 20 && ZipReader.u32(bytes, end - 20) == 0x0706_4B50 {
            let record = ZipReader.u64(bytes, end - 12)
            guard record <= UInt64(bytes.count - 56), ZipReader.u32(bytes, Int(record)) == 0x0606_4B50 else {
                throw corrupt("damaged ZIP64 end of central directory")
            }
            let at = Int(record)
            guard ZipReader.u64(bytes, at + 24) <= UInt64(Int.max), ZipReader.u64(bytes, at + 40) <= UInt64(Int.max),
                  ZipReader.u64(bytes, at + 48) <= UInt64(Int.max) else { throw corrupt("damaged ZIP64 end of central directory") }
            count = Int(ZipReader.u64(bytes, at + 32))
            size = Int(ZipReader.u64(bytes, at + 40))
            offset = Int(ZipReader.u64(bytes, at + 48))
        }
        guard offset <= bytes.count, size <= bytes.count - offset, count <= size / 46 + 1 else {
            throw corrupt("the central directory lies outside the file")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        var at = offset
        for _ in 0..<count {
            guard at + 46 <= offset + size, ZipReader.u32(bytes, at) == 0x0201_4B50 else {
                throw corrupt("damaged central directory entry at byte \(at)")
            }
            let flags = ZipReader.u16(bytes, at + 8)
            let nameLength = Int(ZipReader.u16(bytes, at + 28))
            let extraLength = Int(ZipReader.u16(bytes, at + 30))
            let commentLength = Int(ZipReader.u16(bytes, at + 32))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= offset + size else { throw corrupt("damaged central directory entry at byte \(at)") }
            let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[at + 46..<at + 46 + nameLength])
            // Bit 11 says UTF-8; older tools write CP437, identical to ASCII for CVAT's names.
            let name = String(decoding: nameBytes, as: UTF8.self)
            var entry = Entry(name: name, method: ZipReader.u16(bytes, at + 10), flags: flags, crc: ZipReader.u32(bytes, at + 16),
                              compressedSize: Int(ZipReader.u32(bytes, at + 20)), size: Int(ZipReader.u32(bytes, at + 24)),
                              localHeaderOffset: Int(ZipReader.u32(bytes, at + 42)))
            try readZip64Extra(bytes, UnsafeRawBufferPointer(rebasing: bytes[at + 46 + nameLength..<at + 46 + nameLength + extraLength]),
                               into: &entry, corrupt: corrupt)
            entries.append(entry)
            at = next
        }
        return entries
    }

    /// Fields saturated at 0xFFFFFFFF in the central directory are in the ZIP64 extra field (id 1),
    /// in a fixed order, each present only when saturated.
    private static func readZip64Extra(_ file: UnsafeRawBufferPointer, _ extra: UnsafeRawBufferPointer, into entry: inout Entry,
                                       corrupt: (String) -> Failure) throws(Failure) {
        let saturated = 0xFFFF_FFFF
        guard entry.size == saturated || entry.compressedSize == saturated || entry.localHeaderOffset == saturated else { return }
        var at = 0
        while at + 4 <= extra.count {
            let id = ZipReader.u16(extra, at), length = Int(ZipReader.u16(extra, at + 2))
            guard at + 4 + length <= extra.count else { break }
            if id == 1 {
                var field = at + 4
                func next() throws(Failure) -> Int {
                    guard field + 8 <= at + 4 + length else { throw corrupt("\(entry.name): short ZIP64 extra field") }
                    let value = ZipReader.u64(extra, field)
                    field += 8
                    guard value <= UInt64(file.count) * 1024 else { throw corrupt("\(entry.name): implausible ZIP64 size") }
                    return Int(value)
                }
                if entry.size == saturated { entry.size = try next() }
                if entry.compressedSize == saturated { entry.compressedSize = try next() }
                if entry.localHeaderOffset == saturated { entry.localHeaderOffset = try next() }
                return
            }
            at += 4 + length
        }
        throw corrupt("\(entry.name): sizes over 4 GiB without a ZIP64 extra field")
    }
}

/// Little-endian reads at unaligned offsets; callers check bounds.
enum ZipReader {
    @inline(__always) static func u16(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    @inline(__always) static func u32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(u16(bytes, at)) | UInt32(u16(bytes, at + 2)) << 16
    }

    @inline(__always) static func u64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        UInt64(u32(bytes, at)) | UInt64(u32(bytes, at + 4)) << 32
    }
}
