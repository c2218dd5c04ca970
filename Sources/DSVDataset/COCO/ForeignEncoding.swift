/// What a file that fails to parse from its first bytes is instead, when it is something a user
/// hands over by mistake: JSON saved as UTF-16 (as Windows tools write "Unicode" text) or a
/// compressed export. The bare syntax error ("unexpected byte 0xff at 1:1") does not say it.
enum ForeignEncoding {
    /// A sentence naming what the file is and what to do, or nil.
    static func describe(_ bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.starts(with: [0xFF, 0xFE, 0, 0]) || bytes.starts(with: [0, 0, 0xFE, 0xFF]) {
            return "the file is UTF-32 text; COCO JSON is UTF-8 (convert it: iconv -f UTF-32 -t UTF-8)"
        }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) || (bytes.count >= 2 && (bytes[0] == 0) != (bytes[1] == 0)) {
            return "the file is UTF-16 text; COCO JSON is UTF-8 (convert it: iconv -f UTF-16 -t UTF-8)"
        }
        if bytes.starts(with: [0x1F, 0x8B]) { return "the file is gzip-compressed; decompress it first (gunzip)" }
        if bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return "the file is zstd-compressed; decompress it first (zstd -d)" }
        if bytes.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return "the file is xz-compressed; decompress it first (unxz)" }
        return nil
    }
}
