import CZstd

/// A zstd failure, with zstd's own name for it.
public enum ZstdError: Error, CustomStringConvertible, Sendable {
    case compressionFailed(String)
    case corruptFrame(String)

    public var description: String {
        switch self {
        case .compressionFailed(let reason): "zstd compression failed: \(reason)"
        case .corruptFrame(let reason): "corrupt zstd data: \(reason)"
        }
    }
}

/// One-shot zstd frames. Frames always carry their content size, so decompression allocates once.
///
/// Compression is deterministic for a given level and library major version: no dictionary, no
/// checksum, single-threaded — that is part of dsv's format (equal content ⇒ equal git object).
public enum Zstd {
    /// Compresses `input` into one frame at `level`.
    /// The corresponding C function is `ZSTD_compress`.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int32) throws(ZstdError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var output = [UInt8](repeating: 0, count: bound)
        let written = output.withUnsafeMutableBytes { out in
            ZSTD_compress(out.baseAddress, bound, input.baseAddress, input.count, level)
        }
        if ZSTD_isError(written) != 0 {
            throw .compressionFailed(String(cString: ZSTD_getErrorName(written)))
        }
        output.removeLast(bound - written)
        return output
    }

    public static func compress(_ input: [UInt8], level: Int32) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try compress(b, level: level) } }.get()
    }

    /// Decompresses one frame whose header records its content size (as `compress` writes).
    /// The corresponding C functions are `ZSTD_getFrameContentSize` and `ZSTD_decompress`.
    public static func decompress(_ input: UnsafeRawBufferPointer) throws(ZstdError) -> [UInt8] {
        let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > UInt64(Int.max / 2) {
            throw .corruptFrame("no content size in frame header")
        }
        if size == 0 { return [] }
        var output = [UInt8](repeating: 0, count: Int(size))
        let written = output.withUnsafeMutableBytes { out in
            ZSTD_decompress(out.baseAddress, out.count, input.baseAddress, input.count)
        }
        if ZSTD_isError(written) != 0 { throw .corruptFrame(String(cString: ZSTD_getErrorName(written))) }
        if written != Int(size) { throw .corruptFrame("frame decoded to \(written) of \(size) bytes") }
        return output
    }

    public static func decompress(_ input: [UInt8]) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try decompress(b) } }.get()
    }

    /// The linked library's version, e.g. "1.5.4".
    public static var version: String { String(cString: ZSTD_versionString()) }
}
