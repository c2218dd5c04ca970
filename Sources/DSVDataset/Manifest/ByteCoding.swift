/// Little helpers for dsv's binary manifest streams: LEB128 varints, zigzag for signed values,
/// length-prefixed byte strings. Part of the on-disk format (Documentation/FORMAT.md).
public struct ByteWriter: Sendable {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    @inline(__always) public mutating func varint(_ value: Int) { varint(UInt64(value)) }

    @inline(__always) public mutating func signed(_ value: Int64) {
        varint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func byte(_ value: UInt8) { bytes.append(value) }

    public mutating func raw(_ data: UnsafeRawBufferPointer) { bytes.append(contentsOf: data) }

    public mutating func string(_ text: String) {
        var copy = text
        copy.withUTF8 { utf8 in
            varint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func data(_ data: [UInt8]) {
        varint(data.count)
        bytes.append(contentsOf: data)
    }
}

/// Reads what `ByteWriter` wrote, in bytes the caller keeps alive; any overrun or malformed
/// value is a typed error, never a trap.
public struct ByteReader {
    public let bytes: UnsafeBufferPointer<UInt8>
    public var position = 0

    public struct Malformed: Error {}

    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    public var atEnd: Bool { position >= bytes.count }

    @inline(__always) public mutating func varint() throws(Malformed) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count, shift < 64 else { throw Malformed() }
            let b = bytes[position]
            position += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    @inline(__always) public mutating func int() throws(Malformed) -> Int {
        let value = try varint()
        guard value <= UInt64(Int32.max) * 16 else { throw Malformed() }
        return Int(value)
    }

    @inline(__always) public mutating func signed() throws(Malformed) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func byte() throws(Malformed) -> UInt8 {
        guard position < bytes.count else { throw Malformed() }
        position += 1
        return bytes[position - 1]
    }

    /// The range of the next length-prefixed byte string.
    public mutating func dataRange() throws(Malformed) -> Range<Int> {
        let count = try int()
        guard count <= bytes.count - position else { throw Malformed() }
        position += count
        return position - count..<position
    }

    public mutating func data() throws(Malformed) -> [UInt8] { Array(bytes[try dataRange()]) }

    public mutating func string() throws(Malformed) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[try dataRange()]), as: UTF8.self)
    }

    public mutating func expect(_ magic: String) throws(Malformed) {
        for byte in magic.utf8 where try self.byte() != byte { throw Malformed() }
    }
}
