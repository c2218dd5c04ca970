import DSVNative

/// Writes objects into the repository as one pack stream rather than as loose files: 10⁵ loose
/// objects cost a file (and a 4 KB block) each, a pack costs one file and an index.
///
/// Object bodies are deflated with zlib's *stored* mode (no compression): shards are already
/// zstd-compressed, and deflating them again would only burn CPU. Objects already in the
/// database are skipped, so an unchanged shard costs nothing.
public struct PackStream {
    private var objects: [GitObject] = []
    private var seen: Set<GitObjectID> = []

    public init() {}

    /// Queues an object; duplicates are written once.
    public mutating func add(_ object: GitObject) {
        if seen.insert(object.id).inserted { objects.append(object) }
    }

    public var count: Int { objects.count }

    /// Writes the queued objects that `database` lacks as one pack. Returns how many were written
    /// and the pack's size in bytes.
    @discardableResult
    public func write(to database: GitObjectDatabase) throws(GitError) -> (objects: Int, bytes: Int) {
        try database.refresh()
        let missing = objects.filter { !database.contains($0.id, refresh: false) }
        if missing.isEmpty { return (0, 0) }
        let writer = try database.packWriter()
        let trailer = Hasher(.sha1)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var total = 0

        func emit(_ bytes: [UInt8]) throws(GitError) {
            try bytes.withUnsafeBytes { b in Result { () throws(GitError) in
                trailer.update(b)
                try writer.append(b)
            } }.get()
            total += bytes.count
        }
        func flushIfLarge() throws(GitError) {
            if buffer.count >= 1 << 20 {
                try emit(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }

        buffer.append(contentsOf: Array("PACK".utf8))
        appendBigEndian32(2, to: &buffer)
        appendBigEndian32(UInt32(missing.count), to: &buffer)
        for object in missing {
            appendObjectHeader(kind: object.kind, size: object.content.count, to: &buffer)
            StoredDeflate.append(object.content, to: &buffer)
            try flushIfLarge()
        }
        try emit(buffer)
        try emit(trailer.finish())
        try writer.commit()
        return (missing.count, total)
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
