import DSVNative
import Glibc

/// Which shard an image key belongs to, and where the shard lies in a version's tree: the top
/// `bits` bits of SHA-256 of the key's UTF-8, stored as `shards/<dd>/<rest>` — `dd` the first 8
/// of those bits in hex, `rest` the others in as many hex digits as they need.
///
/// How many bits follows the version's size (format 2): about 1.5 to 3 images a shard. Fewer
/// shards than that cost a 1%-round its growth (SPEC §9: under 5%): a shard is rewritten when any
/// of its images changes, so with `k` images a shard a round touching 1% of them rewrites about
/// `1 - 0.99^k` of the shards. More shards cost every commit and checkout an object, a zstd frame
/// and its entropy tables per image: with 2¹⁶ shards a 10k-image version was 9,274 objects of
/// one image each, and reading them took most of a checkout. The bits are a function of the
/// image count alone, so the same content still gives the same tree; a round that crosses a
/// threshold (1.5 × 2ᵇ images) rewrites every shard once, as git's fan-out does when it splits.
///
/// Format 1 is this layout with 16 bits, whatever the size; a version of 98,304 to 196,607
/// images has 16 bits in format 2 too, and is written as format 1, byte for byte.
public struct ShardLayout: Sendable, Equatable, CustomStringConvertible {
    public let bits: Int

    public static let bitRange = 9...20
    /// Format 1's layout.
    public static let format1 = ShardLayout(bits: 16)

    public init(bits: Int) {
        precondition(Self.bitRange.contains(bits), "shard bits out of range")
        self.bits = bits
    }

    /// The layout of a version of `images` images: the most bits with at least 1.5 images a
    /// shard (2ᵇ × 3 ≤ 2 × images), within `bitRange`.
    public init(images: Int) {
        var bits = Self.bitRange.lowerBound
        while bits < Self.bitRange.upperBound && (3 << (bits + 1)) <= 2 * images { bits += 1 }
        self.init(bits: bits)
    }

    /// The layout `dataset.json` describes: format 1 is 16 bits; format 2 names its bits.
    public init?(format: Int, bits: Int?) {
        switch (format, bits) {
        case (1, nil): self = .format1
        case (2, let bits?) where Self.bitRange.contains(bits): self.init(bits: bits)
        default: return nil
        }
    }

    /// The repository format a version with this layout is written in.
    public var format: Int { bits == 16 ? 1 : 2 }

    public var shardCount: Int { 1 << bits }

    /// Hex digits of a shard's file name below its directory.
    public var nameDigits: Int { (bits - 8 + 3) / 4 }

    public var description: String { "\(bits) bits" }

    /// With a SHA-256 hasher of the caller's (one per thread, for every key of a version).
    public func shard(of key: String, using hasher: Hasher) -> Int {
        hasher.update(key)
        let prefix = hasher.finish { UInt32($0[0]) << 24 | UInt32($0[1]) << 16 | UInt32($0[2]) << 8 | UInt32($0[3]) }
        return Int(prefix >> UInt32(32 - bits))
    }

    /// `("ab", "c")` for shard 0xabc at 12 bits; `("ab", "cd")` for 0xabcd at 16.
    public func path(_ shard: Int) -> (directory: String, name: String) {
        (Self.hexByte(directory(of: shard)), Self.hex(shard & ((1 << (bits - 8)) - 1), digits: nameDigits))
    }

    /// The bytes of `path(shard).name`, without making a string.
    public func withName<R>(_ shard: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: nameDigits) { digits in
            let value = shard & ((1 << (bits - 8)) - 1)
            for place in 0..<nameDigits { digits[nameDigits - 1 - place] = Self.hexDigits[(value >> (4 * place)) & 15] }
            return body(UnsafeRawBufferPointer(digits))
        }
    }

    /// The directory (the first 8 bits) a shard lies in.
    public func directory(of shard: Int) -> Int { shard >> (bits - 8) }

    /// The shard at `shards/<directory>/<name>`, or nil when no shard of this layout lies there.
    public func shard(directory: String, name: String) -> Int? {
        guard directory.utf8.count == 2, name.utf8.count == nameDigits, let high = Self.hexValue(directory),
              let low = Self.hexValue(name), low < 1 << (bits - 8) else { return nil }
        return high << (bits - 8) | low
    }

    static func hexByte(_ value: Int) -> String { hexBytes[value] }

    private static let hexBytes: [String] = (0..<256).map { hex($0, digits: 2) }

    static func hex(_ value: Int, digits count: Int) -> String {
        String(decoding: (0..<count).reversed().map { hexDigits[(value >> (4 * $0)) & 15] }, as: UTF8.self)
    }

    /// Lowercase hex digits, for the names here and the manifest's lines (`VersionContent`).
    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hex digits only (not `Int(_:radix:)`, which takes a sign and uppercase).
    private static func hexValue(_ text: String) -> Int? {
        var value = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | Int(byte - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        return value
    }

    /// Key order inside a shard: by UTF-8 bytes (not by Unicode canonical equivalence), so that
    /// it is the same everywhere.
    /// (Native strings are compared with `memcmp` on their UTF-8 in place: element by element
    /// through `String.UTF8View` cost most of a version's grouping of 10⁵ keys.)
    @inline(__always)
    public static func keyPrecedes(_ a: String, _ b: String) -> Bool {
        let inPlace = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in keyOrder(x, y) < 0 }
        }
        return (inPlace ?? nil) ?? a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// The same order for keys as UTF-8 bytes in place (a shard's): negative, zero or positive.
    @inline(__always)
    static func keyOrder(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        let order = common == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, common))
        return order != 0 ? order : a.count - b.count
    }
}
