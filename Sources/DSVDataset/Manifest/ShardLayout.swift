import DSVNative
import Glibc

/// Which shard an image key belongs to: the first two bytes of SHA-256 of the key's UTF-8, so
/// 65,536 shards, stored as `shards/<hi>/<lo>` in the version's tree. Fixed by format 1.
///
/// Why so many: a labeling round that touches 1% of 118k images (scattered over the dataset)
/// rewrites every shard it touches; with 2¹⁶ shards that is about 1.8% of them, which keeps the
/// next version's growth within SPEC §9's 5%. Empty shards are not stored.
public enum ShardLayout {
    public static let shardCount = 1 << 16

    /// With a SHA-256 hasher of the caller's (one per thread, for every key of a version).
    public static func shard(of key: String, using hasher: Hasher) -> Int {
        hasher.update(key)
        return hasher.finish { Int($0[0]) << 8 | Int($0[1]) }
    }

    /// `("ab", "cd")` for shard 0xabcd.
    public static func pathComponents(_ shard: Int) -> (String, String) {
        (hexByte(shard >> 8), hexByte(shard & 0xFF))
    }

    public static func shard(directory: String, name: String) -> Int? {
        guard directory.utf8.count == 2, name.utf8.count == 2, let hi = Int(directory, radix: 16),
              let lo = Int(name, radix: 16) else { return nil }
        return hi << 8 | lo
    }

    static func hexByte(_ value: Int) -> String { hexBytes[value] }

    private static let hexBytes: [String] = (0..<256).map { value in
        let digits = Array("0123456789abcdef")
        return String([digits[value >> 4], digits[value & 15]])
    }

    /// Key order inside a shard: by UTF-8 bytes (not by Unicode canonical equivalence), so that
    /// it is the same everywhere.
    /// (Native strings are compared with `memcmp` on their UTF-8 in place: element by element
    /// through `String.UTF8View` cost most of a version's grouping of 10⁵ keys.)
    @inline(__always)
    public static func keyPrecedes(_ a: String, _ b: String) -> Bool {
        let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                let common = min(x.count, y.count)
                let order = common == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, common)
                return order != 0 ? order < 0 : x.count < y.count
            }
        }
        return (inPlace ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
