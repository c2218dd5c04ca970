import CZlib

/// Raw deflate (RFC 1951) encoding, as zip archives store their entries: a stream fed in pieces,
/// its output handed on as it is made, never the whole of it in memory.
/// The corresponding C functions are `deflateInit2`, `deflate` and `deflateEnd`.
public final class Deflater {
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 16)

    public init(level: Int32 = 6) throws(SystemError) {
        // `deflateInit2` is a macro; its function takes the library's version and the struct's size.
        guard deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SystemError("start the deflate encoder", path: "zlib", errno: 12)
        }
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `input`, handing every piece of output to `sink`; with `finish`, ends the stream.
    public func compress(_ input: UnsafeRawBufferPointer, finish: Bool,
                         into sink: (UnsafeRawBufferPointer) throws(SystemError) -> Void) throws(SystemError) {
        var consumed = 0
        repeat {
            // avail_in is 32-bit: large inputs go through in slices.
            let slice = min(1 << 30, input.count - consumed)
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: Bytef.self) + consumed })
            stream.avail_in = UInt32(slice)
            let last = finish && consumed + slice == input.count
            var status: Int32 = Z_OK
            repeat {
                let produced: Int = output.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = UInt32(buffer.count)
                    status = CZlib.deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH)
                    return buffer.count - Int(stream.avail_out)
                }
                if produced > 0 {
                    var failure: SystemError?
                    output.withUnsafeBytes { bytes in
                        do throws(SystemError) { try sink(UnsafeRawBufferPointer(rebasing: bytes[..<produced])) } catch { failure = error }
                    }
                    if let failure { throw failure }
                }
            } while stream.avail_out == 0 || (last && status == Z_OK)
            consumed += slice - Int(stream.avail_in)
        } while consumed < input.count
    }
}
