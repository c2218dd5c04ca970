import DSVDataset

/// Text from outside — an export's file names and category names, a CVAT server's project and
/// task names, a source file's name, an S3 key — as it is safe to print to a terminal. Such a
/// name may hold control characters (JSON allows any character, escaped): printed as they are,
/// an escape sequence recolours or clears the reader's terminal, and a newline splits one
/// line of the review (or the one-line error) in two. A name with any is shown as the JSON
/// string literal it would be in an export, with those characters escaped; every other name as
/// it is.
enum TerminalText {
    /// `name` as is, or quoted and escaped when it holds a control character: its JSON string
    /// literal (`JSONString.encode`, which escapes the C0 controls), with DEL and the C1
    /// controls, which JSON leaves as they are, escaped too.
    static func name(_ name: String) -> String {
        guard mayHoldControl(name), name.unicodeScalars.contains(where: isControl) else { return name }
        return line(JSONString.encode(name))
    }

    /// A line of text (a message made of such names) with each control character escaped, so
    /// that it stays one line and changes nothing on the terminal.
    static func line(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return text.unicodeScalars.map(escaped).joined()
    }

    /// Whether `text` has a byte that may be or begin a control character (`mayHoldControl` of
    /// its UTF-8). A review asks this of every key and category it prints; a byte loop costs
    /// less than a scalar one.
    private static func mayHoldControl(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { mayHoldControl(UnsafeRawBufferPointer($0)) }
    }

    /// A value's JSON text (an attribute, a caption, as the export wrote it) appended to
    /// `output`, escaped as `line` escapes a line. Only DEL and the C1 controls (U+0080–U+009F)
    /// can be there — a JSON string may hold them unescaped, where the C0 ones must be escaped
    /// and the reader refuses them raw — and U+009B begins an escape sequence on some
    /// terminals. Bytes, not a string, unless a byte test finds one may be there: a review
    /// writes every value it shows.
    static func appendValue(_ text: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        guard mayHoldControl(text) else { return output.append(contentsOf: text) }
        output.append(contentsOf: line(String(decoding: text, as: UTF8.self)).utf8)
    }

    /// Whether `text` has a byte that may be or begin a control character: a C0 control or DEL,
    /// or 0xC2, which begins the C1 controls' UTF-8 (and other Latin-1 letters'), eight bytes at
    /// a time.
    private static func mayHoldControl(_ text: UnsafeRawBufferPointer) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        // A byte below `limit` (at most 0x80) makes the byte of the difference borrow, with its
        // high bit clear before: the standard test for a zero byte, shifted.
        func holdsBelow(_ word: UInt64, _ limit: UInt8) -> Bool { (word &- ones &* UInt64(limit)) & ~word & highs != 0 }
        func holds(_ word: UInt64, _ byte: UInt8) -> Bool { holdsBelow(word ^ (ones &* UInt64(byte)), 1) }
        var index = 0
        while index + 8 <= text.count {
            let word = text.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if holdsBelow(word, 0x20) || holds(word, 0x7F) || holds(word, 0xC2) { return true }
            index += 8
        }
        return text[index...].contains { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }
    }

    /// C0 controls (newline and tab among them), DEL, and the C1 controls (U+0080–U+009F, of
    /// which U+009B starts an escape sequence on some terminals).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case _ where isControl(scalar):
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: return String(scalar)
        }
    }
}
