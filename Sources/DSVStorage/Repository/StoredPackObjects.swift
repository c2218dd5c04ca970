import DSVNative

/// Objects read in place from the packs dsv writes (`PackStream`), without libgit2: the pack
/// and its index mapped once, an object's body found by the index and lent straight from the
/// mapping. A pack of dsv's holds each object as one zlib stream of *stored* blocks, so for an
/// object under 64 KB (every shard) the body is its content, as it is, between a block header
/// and an Adler-32: nothing to inflate, allocate or copy. The entry is checked against the
/// CRC-32 the index keeps for the id — which also catches an index pointing at the wrong
/// entry, where the Adler-32 would not. Through libgit2, each of a version's thousands of
/// shards was a lookup under its pack lock, an inflate into a fresh buffer and a copy: about a
/// tenth of the CPU of reading a version, and a 10k checkout took 58 ms where it now takes 50.
///
/// What is not found this way — a loose object, a pack fetched from a git remote (deflated,
/// deltas), a body in several blocks, anything that does not check out — is left to libgit2,
/// whose answer (or error) stands. Read-only and safe to share between threads.
public final class StoredPackObjects: @unchecked Sendable {
    private struct Pack {
        /// Keeps the index's bytes mapped for `reader`.
        let indexMapping: FileMapping
        let reader: PackIndex.Reader
        let pack: FileMapping
    }

    private let packs: [Pack]

    /// The packs of `directory` (a repository's `objects/pack`) as they are now; those that
    /// cannot be mapped or do not look like a version-2 index and its pack are skipped.
    public init(packDirectory directory: String) {
        var packs: [Pack] = []
        for name in FileSystem.entries(of: directory) where name.hasPrefix("pack-") && name.hasSuffix(".idx") {
            let stem = joinPath(directory, String(name.dropLast(4)))
            // Regular files only: opening a FIFO planted there would wait for a writer.
            guard [".idx", ".pack"].allSatisfy({ (try? FileStatus.of(stem + $0))??.kind == .file }),
                  let index = try? FileMapping(path: stem + ".idx", sequential: false),
                  let pack = try? FileMapping(path: stem + ".pack", sequential: false),
                  let reader = PackIndex.Reader(index.bytes), reader.isWhole,
                  pack.bytes.count >= 12 + 20, PackIndex.Reader.word(pack.bytes, 0) == 0x5041_434B else { continue }  // "PACK"
            packs.append(Pack(indexMapping: index, reader: reader, pack: pack))
        }
        // The largest first: after housekeeping, most of any version is in one large pack.
        self.packs = packs.sorted { $0.reader.count > $1.reader.count }
    }

    /// The content of blob `id` when one of the packs holds it as a single stored block and
    /// the entry matches its CRC-32; valid while this object lives. Nil: read it through libgit2.
    public func storedBlob(_ id: GitObjectID) -> UnsafeRawBufferPointer? {
        var hint = 0
        return storedBlob(id, hint: &hint)
    }

    /// The same, asking first the pack `hint` names, and leaving there the pack that had the
    /// object: a version's shards sit together in a few packs, and a long history has several
    /// (up to the ten housekeeping keeps), each one a binary search of its own — as libgit2
    /// does, a reader keeps asking where it last found.
    public func storedBlob(_ id: GitObjectID, hint: inout Int) -> UnsafeRawBufferPointer? {
        guard !packs.isEmpty else { return nil }
        if hint < 0 || hint >= packs.count { hint = 0 }
        for step in 0..<packs.count {
            let index = (hint + step) % packs.count
            guard let (offset, crc) = packs[index].reader.entry(of: id) else { continue }
            hint = index
            return Self.storedBody(packs[index].pack.bytes, at: offset, crc: crc)
        }
        return nil
    }

    /// The body of the entry at `offset` if it is a blob stored whole in one final stored
    /// block of a zlib stream with no preset dictionary, the entry's bytes matching `crc`.
    private static func storedBody(_ pack: UnsafeRawBufferPointer, at offset: Int, crc: UInt32) -> UnsafeRawBufferPointer? {
        let end = pack.count - 20  // the pack's checksum
        guard offset >= 12, offset < end else { return nil }
        // Type and size: 3 bits of type and 4 of size, then 7 bits of size a byte.
        var cursor = offset
        var byte = pack[cursor]
        guard (byte >> 4) & 7 == 3 else { return nil }  // a blob (deltas and the rest: libgit2)
        var size = Int(byte & 0x0F), shift = 4
        while byte & 0x80 != 0 {
            cursor += 1
            guard cursor < end, shift <= 56 else { return nil }
            byte = pack[cursor]
            size |= Int(byte & 0x7F) << shift
            shift += 7
        }
        cursor += 1
        // zlib header (deflate, no dictionary), then one stored block marked final: its header
        // byte, LEN and its complement (one block holds at most 65,535 bytes), the data, and
        // the stream's Adler-32.
        guard size <= 0xFFFF, cursor + 2 + 5 + size + 4 <= end, pack[cursor] & 0x0F == 8, pack[cursor + 1] & 0x20 == 0,
              (Int(pack[cursor]) << 8 | Int(pack[cursor + 1])) % 31 == 0, pack[cursor + 2] & 0x07 == 1 else { return nil }
        let length = Int(pack[cursor + 3]) | Int(pack[cursor + 4]) << 8
        let complement = Int(pack[cursor + 5]) | Int(pack[cursor + 6]) << 8
        guard length == size, length ^ complement == 0xFFFF else { return nil }
        var checksum = CRC32()
        checksum.update(UnsafeRawBufferPointer(rebasing: pack[offset..<cursor + 7 + size + 4]))
        guard checksum.value == crc else { return nil }
        return UnsafeRawBufferPointer(rebasing: pack[cursor + 7..<cursor + 7 + size])
    }
}
