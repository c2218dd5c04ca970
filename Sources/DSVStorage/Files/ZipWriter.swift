import DSVNative

/// Writes a zip archive (APPNOTE 6.3.x) that any unzip, Python's zipfile and `ZipArchive` read:
/// entries stored or deflated, each streamed from a file — a version's annotations and its
/// images never sit in memory whole — with ZIP64 records where a size, an offset or the entry
/// count needs them (train2017 has 118k images). Names are UTF-8 (flag bit 11).
///
/// The archive is written under a temporary name beside its destination (`AtomicFileWriter`)
/// and renamed into place by `finish()`: the destination holds the old file or the complete new
/// one. Letting go of an unfinished writer removes the temporary file.
public final class ZipWriter {
    public let destination: String
    private let file: AtomicFileWriter
    /// Bytes written so far: where the next entry starts.
    private var offset = 0
    private var entries: [Entry] = []
    /// The DOS time and date every entry carries: the same archive from the same version.
    private let dosTime: UInt16, dosDate: UInt16

    struct Entry {
        var name: [UInt8]
        var method: UInt16
        var crc: UInt32
        var compressedSize: Int
        var size: Int
        var offset: Int
        /// Unix mode: a regular file or a folder.
        var mode: UInt32
    }

    /// - Parameter time: seconds since 1970, UTC, for every entry's modification time.
    public init(path: String, time: Int64) throws(SystemError) {
        destination = path
        file = try AtomicFileWriter(destination: path)
        (dosTime, dosDate) = Self.dos(time)
    }

    /// Adds an empty folder, `name` ending in `/`.
    public func addDirectory(_ name: String) throws(SystemError) {
        try add(name.hasSuffix("/") ? name : name + "/", bytes: nil, compress: false, mode: 0o040755)
    }

    /// Adds the file at `source` as `name`; deflated when `compress`, else stored.
    public func add(_ name: String, from source: String, compress: Bool) throws(SystemError) {
        let mapping: FileMapping
        do { mapping = try FileMapping(path: source) } catch {
            throw SystemError("read", path: source, errno: error.errno)
        }
        try add(name, bytes: mapping, compress: compress, mode: 0o100644)
    }

    private func add(_ name: String, bytes mapping: FileMapping?, compress: Bool, mode: UInt32) throws(SystemError) {
        let bytes = mapping?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        let size = bytes.count
        // A stored entry is its size; a deflated one at most a little more (5 bytes a 16 KB block).
        let zip64 = size + size / 8_192 + 64 >= 0xFFFF_FFFF || offset >= 0xFFFF_FFFF
        let start = offset
        var header = [UInt8]()
        header.u32(0x0403_4B50)
        header.u16(zip64 ? 45 : 20)
        header.u16(0x0800)
        header.u16(compress ? 8 : 0)
        header.u16(dosTime)
        header.u16(dosDate)
        header.u32(0)  // CRC-32, sizes: filled in once the data is written
        header.u32(zip64 ? 0xFFFF_FFFF : 0)
        header.u32(zip64 ? 0xFFFF_FFFF : 0)
        let nameBytes = Array(name.utf8)
        header.u16(UInt16(nameBytes.count))
        header.u16(zip64 ? 20 : 0)
        header += nameBytes
        if zip64 {
            header.u16(0x0001)
            header.u16(16)
            header.u64(0)
            header.u64(0)
        }
        try write(header)
        var crc = CRC32()
        crc.update(bytes)
        let dataStart = offset
        if compress {
            let deflater = try Deflater()
            try deflater.compress(bytes, finish: true) { (piece) throws(SystemError) in try write(piece) }
        } else {
            try write(bytes)
        }
        let compressedSize = offset - dataStart
        // The local header's CRC-32 and sizes, now known.
        var fields = [UInt8]()
        fields.u32(crc.value)
        if zip64 {
            try file.patch(fields, at: start + 14)
            var sizes = [UInt8]()
            sizes.u64(UInt64(size))
            sizes.u64(UInt64(compressedSize))
            try file.patch(sizes, at: start + 30 + nameBytes.count + 4)
        } else {
            fields.u32(UInt32(compressedSize))
            fields.u32(UInt32(size))
            try file.patch(fields, at: start + 14)
        }
        entries.append(Entry(name: nameBytes, method: compress ? 8 : 0, crc: crc.value, compressedSize: compressedSize,
                             size: size, offset: start, mode: mode))
    }

    /// Writes the central directory and the end records, flushes, and renames the archive into
    /// place.
    public func finish() throws(SystemError) {
        let directoryStart = offset
        for entry in entries {
            let sizes64 = entry.size >= 0xFFFF_FFFF || entry.compressedSize >= 0xFFFF_FFFF
            let offset64 = entry.offset >= 0xFFFF_FFFF
            var extra = [UInt8]()
            if sizes64 || offset64 {
                extra.u16(0x0001)
                extra.u16(UInt16((sizes64 ? 16 : 0) + (offset64 ? 8 : 0)))
                if sizes64 { extra.u64(UInt64(entry.size)); extra.u64(UInt64(entry.compressedSize)) }
                if offset64 { extra.u64(UInt64(entry.offset)) }
            }
            var record = [UInt8]()
            record.u32(0x0201_4B50)
            record.u16(0x0300 | 45)  // made by: Unix, 4.5
            record.u16(extra.isEmpty ? 20 : 45)
            record.u16(0x0800)
            record.u16(entry.method)
            record.u16(dosTime)
            record.u16(dosDate)
            record.u32(entry.crc)
            record.u32(sizes64 ? 0xFFFF_FFFF : UInt32(entry.compressedSize))
            record.u32(sizes64 ? 0xFFFF_FFFF : UInt32(entry.size))
            record.u16(UInt16(entry.name.count))
            record.u16(UInt16(extra.count))
            record.u16(0)  // comment
            record.u16(0)  // disk
            record.u16(0)  // internal attributes
            record.u32(entry.mode << 16 | (entry.mode & 0o040000 != 0 ? 0x10 : 0))  // Unix mode; MS-DOS folder bit
            record.u32(offset64 ? 0xFFFF_FFFF : UInt32(entry.offset))
            record += entry.name
            record += extra
            try write(record)
        }
        let directorySize = offset - directoryStart
        let zip64 = entries.count >= 0xFFFF || directoryStart >= 0xFFFF_FFFF || directorySize >= 0xFFFF_FFFF
        var end = [UInt8]()
        if zip64 {
            let recordStart = offset
            end.u32(0x0606_4B50)
            end.u64(44)
            end.u16(0x0300 | 45)
            end.u16(45)
            end.u32(0)
            end.u32(0)
            end.u64(UInt64(entries.count))
            end.u64(UInt64(entries.count))
            end.u64(UInt64(directorySize))
            end.u64(UInt64(directoryStart))
            end.u32(0x0706_4B50)
            end.u32(0)
            end.u64(UInt64(recordStart))
            end.u32(1)
        }
        end.u32(0x0605_4B50)
        end.u16(0)
        end.u16(0)
        end.u16(zip64 ? 0xFFFF : UInt16(entries.count))
        end.u16(zip64 ? 0xFFFF : UInt16(entries.count))
        end.u32(zip64 ? 0xFFFF_FFFF : UInt32(directorySize))
        end.u32(zip64 ? 0xFFFF_FFFF : UInt32(directoryStart))
        end.u16(0)
        try write(end)
        try file.commit(sync: true)
    }

    private func write(_ bytes: [UInt8]) throws(SystemError) {
        try file.write(bytes)
        offset += bytes.count
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try file.write(bytes)
        offset += bytes.count
    }

    /// MS-DOS time and date of a UTC moment (from 1980, at two-second precision).
    static func dos(_ seconds: Int64) -> (time: UInt16, date: UInt16) {
        let days = Int(max(seconds, 315_532_800) / 86_400), rest = Int(max(seconds, 315_532_800) % 86_400)
        // Civil date from days since 1970 (Howard Hinnant's algorithm).
        let z = days + 719_468, era = z / 146_097, doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let time = UInt16(rest / 3600) << 11 | UInt16(rest / 60 % 60) << 5 | UInt16(rest % 60 / 2)
        let date = UInt16(min(max(year - 1980, 0), 127)) << 9 | UInt16(month) << 5 | UInt16(day)
        return (time, date)
    }
}

extension [UInt8] {
    mutating func u16(_ value: UInt16) { append(UInt8(value & 0xFF)); append(UInt8(value >> 8)) }
    mutating func u32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
    mutating func u64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
}
