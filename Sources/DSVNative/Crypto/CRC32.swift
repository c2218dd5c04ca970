import CZlib

/// CRC-32 (ISO-HDLC), as git's pack index records it per object.
/// The corresponding C function is zlib's `crc32`.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        value = zlibChecksum(value, bytes, crc32)
    }

    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }
}
