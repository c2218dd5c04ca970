import CChecksum
import CZlib

/// CRC-32 (ISO-HDLC), as git's pack index records it per object: every shard read in place is
/// checked by it, and every object written. Runs of 64 bytes and more are folded with
/// carry-less multiplication where the CPU has it (`CChecksum`, several times zlib's speed on
/// a pack entry's few kilobytes); the rest, and every byte on other CPUs, go to zlib's `crc32`.
public struct CRC32: Sendable {
    public private(set) var value: UInt32 = 0

    public init() {}

    /// Whether this CPU folds (PCLMULQDQ and SSE4.1): asked once.
    static let folds = dsv_crc32_folding_available() != 0

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        if Self.folds && bytes.count >= 64, let base = bytes.baseAddress {
            let whole = bytes.count & ~15
            value = dsv_crc32_fold(value, base.assumingMemoryBound(to: UInt8.self), whole)
            rest = UnsafeRawBufferPointer(rebasing: bytes[whole...])
        }
        value = zlibChecksum(value, rest, crc32)
    }

    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { update($0) }
    }
}
