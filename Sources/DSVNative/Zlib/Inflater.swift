import CZlib

/// Raw deflate (RFC 1951) decoding, as zip archives store their entries: the whole stream into
/// a buffer whose size the archive declares, checked against that size and the entry's CRC-32.
public enum Inflater {
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The stream is not valid deflate data, or it ends early.
        case corrupt(String)
        /// It decodes to another size than declared, or to bytes whose CRC-32 differs.
        case mismatch(String)

        public var description: String {
            switch self {
            case .corrupt(let reason), .mismatch(let reason): reason
            }
        }
    }

    /// Decodes `input` into `output`, which must be exactly the declared uncompressed size.
    /// - Parameter slice: how much zlib is handed at once (its counters are 32-bit); smaller
    ///   only to test the slicing.
    public static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer,
                               crc expected: UInt32, slice: Int = 1 << 30) throws(Failure) {
        var stream = z_stream()
        // `inflateInit2` is a macro; its function takes the library's version and the struct's size.
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("cannot start the deflate decoder")
        }
        defer { inflateEnd(&stream) }
        var consumed = 0, produced = 0
        var status = Z_OK
        // avail_in/avail_out are 32-bit: large entries go through in slices.
        while status == Z_OK {
            let inputCount = min(slice, input.count - consumed)
            let outputCount = min(slice, output.count - produced)
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress.map { $0.assumingMemoryBound(to: Bytef.self) + consumed })
            stream.avail_in = UInt32(inputCount)
            // One spare byte of room when the output is full, so a stream longer than declared is seen.
            var spare: UInt8 = 0
            let result: Int32 = withUnsafeMutablePointer(to: &spare) { sparePointer in
                if outputCount == 0 {
                    stream.next_out = sparePointer
                    stream.avail_out = 1
                } else {
                    stream.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.avail_out = UInt32(outputCount)
                }
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            if outputCount == 0 && stream.avail_out == 0 { throw .mismatch("the entry is longer than the archive declares") }
            consumed += inputCount - Int(stream.avail_in)
            produced += outputCount == 0 ? 0 : outputCount - Int(stream.avail_out)
            status = result
            if status == Z_BUF_ERROR && consumed == input.count { throw .corrupt("the compressed data ends early") }
            if status == Z_BUF_ERROR { status = Z_OK }
        }
        guard status == Z_STREAM_END else {
            throw .corrupt(stream.msg.map { "invalid deflate data: " + String(cString: $0) } ?? "invalid deflate data (zlib error \(status))")
        }
        guard produced == output.count else {
            throw .mismatch("the entry holds \(produced) bytes, the archive declares \(output.count)")
        }
        try check(UnsafeRawBufferPointer(output), crc: expected)
    }

    /// Checks decoded (or stored) bytes against the CRC-32 their archive declares.
    public static func check(_ bytes: UnsafeRawBufferPointer, crc expected: UInt32) throws(Failure) {
        var crc = CRC32()
        crc.update(bytes)
        guard crc.value == expected else { throw .mismatch("CRC-32 mismatch: the entry's data is damaged") }
    }
}
