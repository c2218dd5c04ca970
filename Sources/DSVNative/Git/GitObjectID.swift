import CGit2

/// A git object id (SHA-1), as a value. The 20 bytes are kept inline, as big-endian words:
/// ids are hashed, compared and sorted by the hundred thousand (tree entries, shard cache
/// lookups), and an array per id cost an allocation and a pointer chase for each.
public struct GitObjectID: Hashable, Sendable, CustomStringConvertible, Comparable {
    public static let byteCount = 20
    private let high: UInt64, middle: UInt64, low: UInt32

    /// From 20 raw bytes.
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == Self.byteCount, "a git object id has 20 bytes")
        high = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        middle = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        low = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
    }

    public init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { GitObjectID(bytes: $0) }
    }

    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 40 else { return nil }
        var out = [UInt8](repeating: 0, count: 20)
        for i in 0..<20 {
            guard let hi = hexValue(utf8[2 * i]), let lo = hexValue(utf8[2 * i + 1]) else { return nil }
            out[i] = hi << 4 | lo
        }
        self.init(bytes: out)
    }

    init(_ oid: git_oid) {
        var copy = oid
        self = withUnsafeBytes(of: &copy.id) { GitObjectID(bytes: $0) }
    }

    var raw: git_oid {
        var oid = git_oid()
        withUnsafeMutableBytes(of: &oid.id) { out in withBytes { out.copyMemory(from: $0) } }
        return oid
    }

    /// Lends the 20 raw bytes without allocating.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: (high.bigEndian, middle.bigEndian, low.bigEndian)) { body(UnsafeRawBufferPointer(rebasing: $0[0..<20])) }
    }

    /// The 20 raw bytes.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    /// The first byte (a pack index's fan-out).
    public var firstByte: UInt8 { UInt8(truncatingIfNeeded: high >> 56) }

    public var hex: String { withBytes { hexString($0) } }
    public var description: String { hex }
    public var short: String { String(hex.prefix(12)) }

    /// Byte order, as git sorts ids.
    public static func < (a: GitObjectID, b: GitObjectID) -> Bool { (a.high, a.middle, a.low) < (b.high, b.middle, b.low) }
}

/// Lowercase hex of bytes; shared by every digest type.
public func hexString<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
