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
/// Compression is deterministic for given settings and library version: no dictionary, no
/// checksum, single-threaded — that is part of dsv's format (equal content ⇒ equal git object).
public enum Zstd {
    /// Compresses `input` into one frame (with a context of its own; reuse a `ZstdCompressor`
    /// when compressing many small inputs).
    public static func compress(_ input: UnsafeRawBufferPointer, _ settings: ZstdSettings) throws(ZstdError) -> [UInt8] {
        try ZstdCompressor(settings).compress(input)
    }

    public static func compress(_ input: [UInt8], _ settings: ZstdSettings) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try compress(b, settings) } }.get()
    }

    public static func compress(_ input: [UInt8], level: Int32) throws(ZstdError) -> [UInt8] {
        try compress(input, ZstdSettings(level: level))
    }

    /// Decompresses one frame whose header records its content size (as `compress` writes).
    public static func decompress(_ input: UnsafeRawBufferPointer) throws(ZstdError) -> [UInt8] {
        try ZstdDecompressor().decompress(input)
    }

    public static func decompress(_ input: [UInt8]) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try decompress(b) } }.get()
    }

    /// The linked library's version, e.g. "1.5.4".
    public static var version: String { String(cString: ZSTD_versionString()) }
}

/// How frames are compressed: a level, and optionally the shortest match zstd looks for.
public struct ZstdSettings: Sendable, Equatable {
    public var level: Int32
    /// `ZSTD_c_minMatch` (3–7); nil leaves the level's own. Longer matches only mean fewer,
    /// longer sequences for the decoder to copy: on small frames of JSON full of numbers, 7
    /// decodes 30–40% faster than level 1's own 5–6, for about 1% more bytes.
    public var minimumMatch: Int32?

    public init(level: Int32, minimumMatch: Int32? = nil) {
        self.level = level
        self.minimumMatch = minimumMatch
    }
}

/// A reusable compression context (`ZSTD_CCtx`). Creating a context costs more than compressing
/// a small shard, so each worker keeps one. Not thread safe.
public final class ZstdCompressor: @unchecked Sendable {
    private let context: OpaquePointer

    public init(_ settings: ZstdSettings) {
        guard let context = ZSTD_createCCtx() else { fatalError("out of memory: ZSTD_createCCtx") }
        self.context = context
        // Both within zstd's bounds (a level past them is clamped): the parameters stick to the
        // context for every frame it compresses.
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, settings.level)
        if let match = settings.minimumMatch { ZSTD_CCtx_setParameter(context, ZSTD_c_minMatch, match) }
    }

    deinit { ZSTD_freeCCtx(context) }

    /// One frame, with its content size in the header. The corresponding C function is
    /// `ZSTD_compress2` (with the level alone, the same bytes as `ZSTD_compressCCtx`).
    public func compress(_ input: UnsafeRawBufferPointer) throws(ZstdError) -> [UInt8] {
        let bound = ZSTD_compressBound(input.count)
        var written = 0
        let output = [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            written = ZSTD_compress2(context, buffer.baseAddress, bound, input.baseAddress, input.count)
            count = ZSTD_isError(written) != 0 ? 0 : written
        }
        if ZSTD_isError(written) != 0 { throw .compressionFailed(String(cString: ZSTD_getErrorName(written))) }
        // A copy of exactly the written size: the buffer above keeps the bound's whole capacity.
        return [UInt8](unsafeUninitializedCapacity: written) { buffer, count in
            _ = buffer.initialize(from: output)
            count = written
        }
    }

    public func compress(_ input: [UInt8]) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try compress(b) } }.get()
    }
}

/// A reusable decompression context (`ZSTD_DCtx`). Not thread safe.
public final class ZstdDecompressor: @unchecked Sendable {
    private let context: OpaquePointer

    public init() {
        guard let context = ZSTD_createDCtx() else { fatalError("out of memory: ZSTD_createDCtx") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// The corresponding C functions are `ZSTD_getFrameContentSize` and `ZSTD_decompressDCtx`.
    public func decompress(_ input: UnsafeRawBufferPointer) throws(ZstdError) -> [UInt8] {
        let size = try contentSize(input)
        if size == 0 { return [] }
        var failure: ZstdError?
        // Uninitialized: zstd writes every byte, or we throw the buffer away.
        let output = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            do throws(ZstdError) {
                try decompress(input, into: UnsafeMutableRawBufferPointer(buffer))
                count = size
            } catch { failure = error }
        }
        if let failure { throw failure }
        return output
    }

    /// Decompresses into memory from `arena` (see `BumpArena`), for many frames that are kept
    /// together.
    public func decompress(_ input: UnsafeRawBufferPointer, into arena: BumpArena) throws(ZstdError) -> UnsafeBufferPointer<UInt8> {
        let output = arena.allocate(try contentSize(input))
        try decompress(input, into: output)
        return UnsafeBufferPointer(output.bindMemory(to: UInt8.self))
    }

    /// The content size the frame header declares (dsv always writes it), if the frame could
    /// hold it: a block of 4 bytes (an RLE block) decodes to at most 128 KiB, so no frame
    /// expands more than 32,768-fold. A header claiming more is corrupt or hostile, and is
    /// refused before anything is allocated for it.
    private func contentSize(_ input: UnsafeRawBufferPointer) throws(ZstdError) -> Int {
        let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
        if size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN {
            throw .corruptFrame("no content size in frame header")
        }
        guard size <= UInt64(input.count) << 16 else {
            throw .corruptFrame("frame header claims \(size) bytes from \(input.count)")
        }
        return Int(size)
    }

    /// Decompresses one frame into `output`, which must be its content size.
    private func decompress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(ZstdError) {
        guard output.count > 0 else { return }
        let written = ZSTD_decompressDCtx(context, output.baseAddress, output.count, input.baseAddress, input.count)
        if ZSTD_isError(written) != 0 { throw .corruptFrame(String(cString: ZSTD_getErrorName(written))) }
        if written != output.count { throw .corruptFrame("frame decoded to \(written) of \(output.count) bytes") }
    }

    public func decompress(_ input: [UInt8]) throws(ZstdError) -> [UInt8] {
        try input.withUnsafeBytes { b in Result { () throws(ZstdError) in try decompress(b) } }.get()
    }
}
