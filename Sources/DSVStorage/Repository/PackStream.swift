import DSVNative

/// Writes objects into the repository as one pack and its index, rather than as loose files:
/// 10⁵ loose objects cost a file (and a 4 KB block) each, a pack costs two files.
///
/// dsv writes the `.pack` and the `.idx` (version 2) itself: it already knows every object's id,
/// so the work libgit2's indexer would repeat — inflating each object and hashing it again with
/// its collision-detecting SHA-1 — is skipped. Object bodies are zlib *stored* blocks (no
/// compression): shards are already zstd-compressed. Both files are written under temporary
/// names; the pack is renamed into place first and the index last, and git ignores a pack
/// without an index, so a crash leaves either the whole pack usable or nothing that matters.
/// Objects already in the database are skipped, so an unchanged shard costs nothing.
public struct PackStream {
    private var objects: [GitObject] = []
    private var seen: Set<GitObjectID> = []

    public init() {}

    /// Queues an object; duplicates are written once.
    public mutating func add(_ object: GitObject) {
        if seen.insert(object.id).inserted { objects.append(object) }
    }

    public var count: Int { objects.count }

    /// Writes the queued objects that `database` lacks into `packDirectory` (the repository's
    /// `objects/pack`). Returns how many were written and the pack's size in bytes.
    @discardableResult
    public func write(to database: GitObjectDatabase, packDirectory: String) throws(RepositoryError) -> (objects: Int, bytes: Int) {
        do { try database.refresh() } catch { throw .git(error) }
        let missing = objects.filter { !database.contains($0.id, refresh: false) }
        if missing.isEmpty { return (0, 0) }
        do {
            let pack = try AtomicFileWriter(destination: joinPath(packDirectory, "tmp_pack_dsv"))
            let trailer = Hasher(.sha1)
            var entries: [(id: GitObjectID, crc: UInt32, offset: UInt64)] = []
            entries.reserveCapacity(missing.count)
            var offset: UInt64 = 0
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)

            func emit(_ bytes: [UInt8]) throws(SystemError) {
                bytes.withUnsafeBytes { trailer.update($0) }
                try pack.write(bytes)
                offset += UInt64(bytes.count)
            }

            var header: [UInt8] = Array("PACK".utf8)
            appendBigEndian32(2, to: &header)
            appendBigEndian32(UInt32(missing.count), to: &header)
            try emit(header)
            for object in missing {
                let start = buffer.count
                appendObjectHeader(kind: object.kind, size: object.content.count, to: &buffer)
                StoredDeflate.append(object.content, to: &buffer)
                var crc = CRC32()
                crc.update(buffer[start...])
                entries.append((object.id, crc.value, offset + UInt64(start)))
                if buffer.count >= 1 << 20 {
                    try emit(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try emit(buffer)
            let checksum = trailer.finish()
            try pack.write(checksum)
            let name = "pack-" + hexString(checksum)
            let index = try AtomicFileWriter(destination: joinPath(packDirectory, "tmp_idx_dsv"))
            try index.write(PackIndex.encode(entries: entries, packChecksum: checksum))
            try pack.commit(as: joinPath(packDirectory, name + ".pack"))
            try index.commit(as: joinPath(packDirectory, name + ".idx"))
            return (missing.count, Int(offset) + checksum.count)
        } catch {
            throw .io(error)
        }
    }

    private func appendBigEndian32(_ value: UInt32, to buffer: inout [UInt8]) {
        buffer.append(UInt8(value >> 24))
        buffer.append(UInt8(value >> 16 & 0xFF))
        buffer.append(UInt8(value >> 8 & 0xFF))
        buffer.append(UInt8(value & 0xFF))
    }

    /// Pack object header: type in bits 4–6 of the first byte, size in 4 + 7·n bits.
    private func appendObjectHeader(kind: GitObjectKind, size: Int, to buffer: inout [UInt8]) {
        var remaining = size >> 4
        var byte = UInt8(kind.rawValue << 4) | UInt8(size & 0x0F)
        while remaining > 0 {
            buffer.append(byte | 0x80)
            byte = UInt8(remaining & 0x7F)
            remaining >>= 7
        }
        buffer.append(byte)
    }
}

/// A pack index, version 2: magic, fan-out table, sorted ids, CRC-32s, offsets (with the large
/// offset table for packs over 2 GiB), the pack's checksum and the index's own.
enum PackIndex {
    static func encode(entries unsorted: [(id: GitObjectID, crc: UInt32, offset: UInt64)], packChecksum: [UInt8]) -> [UInt8] {
        let entries = unsorted.sorted { $0.id < $1.id }
        var out: [UInt8] = [0xFF, 0x74, 0x4F, 0x63, 0, 0, 0, 2]
        out.reserveCapacity(8 + 1024 + entries.count * 28 + 40)
        var fanout = [UInt32](repeating: 0, count: 256)
        for entry in entries { fanout[Int(entry.id.firstByte)] += 1 }
        var running: UInt32 = 0
        for i in 0..<256 {
            running += fanout[i]
            append32(running, &out)
        }
        for entry in entries { entry.id.withBytes { out.append(contentsOf: $0) } }
        for entry in entries { append32(entry.crc, &out) }
        var large: [UInt64] = []
        for entry in entries {
            if entry.offset < 0x8000_0000 {
                append32(UInt32(entry.offset), &out)
            } else {
                append32(0x8000_0000 | UInt32(large.count), &out)
                large.append(entry.offset)
            }
        }
        for offset in large {
            append32(UInt32(offset >> 32), &out)
            append32(UInt32(offset & 0xFFFF_FFFF), &out)
        }
        out += packChecksum
        out += Hasher.digest(.sha1, out)
        return out
    }

    static func append32(_ value: UInt32, _ out: inout [UInt8]) {
        out.append(UInt8(value >> 24))
        out.append(UInt8(value >> 16 & 0xFF))
        out.append(UInt8(value >> 8 & 0xFF))
        out.append(UInt8(value & 0xFF))
    }
}

/// A zlib stream (RFC 1950) made of stored deflate blocks (RFC 1951 §3.2.4): the data as it is,
/// framed, with its Adler-32.
enum StoredDeflate {
    static func append(_ data: [UInt8], to out: inout [UInt8]) {
        out.append(0x78)
        out.append(0x01)
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out.append(final)
            out.append(UInt8(length & 0xFF))
            out.append(UInt8(length >> 8))
            out.append(UInt8(~length & 0xFF))
            out.append(UInt8((~length >> 8) & 0xFF))
            out.append(contentsOf: data[offset..<offset + length])
            offset += length
        } while offset < data.count
        let adler = adler32(data)
        out.append(UInt8(adler >> 24))
        out.append(UInt8(adler >> 16 & 0xFF))
        out.append(UInt8(adler >> 8 & 0xFF))
        out.append(UInt8(adler & 0xFF))
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1
        var b: UInt32 = 0
        data.withUnsafeBufferPointer { bytes in
            var index = 0
            while index < bytes.count {
                // 5552 is the largest run for which the sums cannot overflow 32 bits.
                let end = min(index + 5552, bytes.count)
                while index < end {
                    a &+= UInt32(bytes[index])
                    b &+= a
                    index += 1
                }
                a %= 65521
                b %= 65521
            }
        }
        return b << 16 | a
    }
}
