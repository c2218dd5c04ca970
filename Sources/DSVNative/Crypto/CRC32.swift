import CZlib

/// CRC-32 (ISO-HDLC), as git's pack index records it per object.
/// The corresponding C function is zlib's `crc32`.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        value = UInt32(crc32(UInt(value), base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count)))
    }

    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }
}
