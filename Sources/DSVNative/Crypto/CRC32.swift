import CZlib

/// CRC-32 (ISO-HDLC), as git's pack index records it per object.
/// The corresponding C function is zlib's `crc32`.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        // zlib takes a 32-bit length: a larger buffer goes a gigabyte at a time.
        var offset = 0
        while offset < bytes.count {
            let count = min(bytes.count - offset, 1 << 30)
            value = UInt32(crc32(UInt(value), base.assumingMemoryBound(to: UInt8.self) + offset, UInt32(count)))
            offset += count
        }
    }

    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }
}
