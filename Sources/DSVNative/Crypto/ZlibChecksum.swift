import CZlib

/// Folds `bytes` into a zlib checksum (`crc32`, `adler32`): zlib takes a 32-bit length, so a
/// larger buffer goes a gigabyte at a time.
func zlibChecksum(_ value: UInt32, _ bytes: UnsafeRawBufferPointer,
                  _ function: (UInt, UnsafePointer<UInt8>?, UInt32) -> UInt) -> UInt32 {
    guard let base = bytes.baseAddress else { return value }
    var value = value, offset = 0
    while offset < bytes.count {
        let count = min(bytes.count - offset, 1 << 30)
        value = UInt32(function(UInt(value), base.assumingMemoryBound(to: UInt8.self) + offset, UInt32(count)))
        offset += count
    }
    return value
}
