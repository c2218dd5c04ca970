import DSVNative

/// A pack index, version 2: magic, fan-out table, sorted ids, CRC-32s, offsets (with the large
/// offset table for packs over 2 GiB), the pack's checksum and the index's own.
enum PackIndex {
    /// "\377tOc", before the version.
    static let magic: UInt32 = 0xFF74_4F63
    /// Where the ids begin: after the magic, the version and the 256 fan-out counts.
    static let idsStart = 8 + 256 * 4

    static func encode(entries unsorted: [(id: GitObjectID, crc: UInt32, offset: UInt64)], packChecksum: [UInt8]) -> [UInt8] {
        let entries = unsorted.sorted { $0.id < $1.id }
        var out: [UInt8] = []
        out.reserveCapacity(idsStart + entries.count * 28 + 40)
        append32(magic, &out)
        append32(2, &out)
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

    /// Big-endian, as every number in a pack and its index.
    static func append32(_ value: UInt32, _ out: inout [UInt8]) {
        out.append(UInt8(value >> 24))
        out.append(UInt8(value >> 16 & 0xFF))
        out.append(UInt8(value >> 8 & 0xFF))
        out.append(UInt8(value & 0xFF))
    }
}

extension PackIndex {
    /// A version-2 index read in place (a mapping or a buffer the caller keeps alive): how many
    /// objects it lists, their ids, and where one starts in its pack. Every read stays inside
    /// the tables whose presence the caller checked (`hasIDs`, `isWhole`).
    struct Reader {
        let bytes: UnsafeRawBufferPointer
        let count: Int

        /// Nil unless `bytes` start as a version-2 index with its fan-out table.
        init?(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count >= PackIndex.idsStart, Self.word(bytes, 0) == PackIndex.magic, Self.word(bytes, 4) == 2 else { return nil }
            self.bytes = bytes
            count = Int(Self.word(bytes, PackIndex.idsStart - 4))  // the last fan-out count
        }

        /// Whether the ids are all there.
        var hasIDs: Bool { bytes.count >= PackIndex.idsStart + count * 20 }

        /// Whether ids, CRC-32s, offsets and the two checksums are all there.
        var isWhole: Bool { bytes.count >= PackIndex.idsStart + count * 28 + 40 }

        /// The id at `position` in the index's (sorted) order; needs `hasIDs`.
        func id(_ position: Int) -> GitObjectID {
            let start = PackIndex.idsStart + position * 20
            return GitObjectID(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<start + 20]))
        }

        /// Where `id` starts in its pack and the CRC-32 of its entry, by the fan-out and a
        /// binary search of the ids; needs `isWhole`.
        func entry(of id: GitObjectID) -> (offset: Int, crc: UInt32)? {
            let first = Int(id.firstByte)
            var low = first == 0 ? 0 : Int(Self.word(bytes, 8 + (first - 1) * 4))
            var high = Int(Self.word(bytes, 8 + first * 4))
            guard low <= high, high <= count else { return nil }
            let ids = PackIndex.idsStart
            while low < high {
                let middle = (low + high) / 2
                let candidate = self.id(middle)
                if candidate == id {
                    let crc = Self.word(bytes, ids + count * 20 + middle * 4)
                    let small = Int(Self.word(bytes, ids + count * 24 + middle * 4))
                    guard small & 0x8000_0000 != 0 else { return (small, crc) }
                    // The high bit set: the low 31 bits index the table of 8-byte offsets.
                    let large = ids + count * 28 + (small & 0x7FFF_FFFF) * 8
                    guard large + 8 <= bytes.count - 40 else { return nil }
                    let value = UInt64(Self.word(bytes, large)) << 32 | UInt64(Self.word(bytes, large + 4))
                    return value < UInt64(Int.max) ? (Int(value), crc) : nil
                }
                if candidate < id { low = middle + 1 } else { high = middle }
            }
            return nil
        }

        /// The big-endian 32-bit number at `offset`.
        static func word(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
        }
    }
}
