import DSVDataset

/// A review's text as bytes: the pieces of a line appended as they come, no string made for
/// any of them.
struct ReviewText {
    var bytes: [UInt8] = []

    mutating func put(_ piece: String) {
        var piece = piece
        piece.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A name from outside (an image's key, a category's name) as a terminal shows it safely
    /// (`TerminalText.name`).
    mutating func putName(_ name: String) { put(TerminalText.name(name)) }

    /// An annotation's category name, or "(none)" for one without a `category_id` (a caption).
    mutating func putCategory(_ category: String?) {
        guard let category else { return put("(none)") }
        putName(category)
    }

    mutating func newline() { bytes.append(UInt8(ascii: "\n")) }

    /// An annotation's `bbox` as written (nothing without one).
    mutating func box(_ annotation: DiffAnnotation) { annotation.withBBoxText { putValue($0) } }

    /// What shows an annotation beside its category: its box — or, for one without a box (a
    /// caption, a panoptic image's segments), its other members, cut as a long value is: "+
    /// (none)" alone told a reviewer nothing.
    mutating func outline(_ annotation: DiffAnnotation) {
        if annotation.hasBBox { box(annotation) } else { value(annotation.membersText) }
    }

    /// A value as written, on one readable line: a long one (an RLE mask's counts, a polygon) is
    /// cut, with its size; `--json` has it whole.
    mutating func value(_ value: String?) {
        guard var value else { return put("(none)") }
        value.withUTF8 { self.value(UnsafeRawBufferPointer($0)) }
    }

    /// The same for a value's bytes in place.
    mutating func value(_ value: UnsafeRawBufferPointer?) {
        guard let value else { return put("(none)") }
        guard putCut(value, whole: DiffOutput.wholeBytes) else { return }
        put("… (")
        putCount(value.count)
        put(" bytes)")
    }

    /// Puts `text` whole when it is at most `whole` characters, else its first `cutBytes`
    /// characters; returns whether any was left out.
    private mutating func putCut(_ text: UnsafeRawBufferPointer, whole: Int) -> Bool {
        guard text.count > whole else {
            putValue(text)
            return false
        }
        // Most long values are polygons: ASCII without a CR (which pairs with LF into one
        // character) is a character a byte, and is cut without walking its characters.
        if Self.isPlainASCII(UnsafeRawBufferPointer(rebasing: text.prefix(whole + 1))) {
            putValue(UnsafeRawBufferPointer(rebasing: text.prefix(DiffOutput.cutBytes)))
        } else {
            var string = String(decoding: text, as: UTF8.self)
            guard string.count > whole else {
                string.withUTF8 { putValue(UnsafeRawBufferPointer($0)) }
                return false
            }
            var cut = String(string.prefix(DiffOutput.cutBytes))
            cut.withUTF8 { putValue(UnsafeRawBufferPointer($0)) }
        }
        return true
    }

    /// A value's JSON text as the export wrote it, DEL and the C1 controls escaped
    /// (`TerminalText.appendValue`).
    mutating func putValue(_ text: UnsafeRawBufferPointer) { TerminalText.appendValue(text, to: &bytes) }

    /// A changed value, old → new, each as `value` shows it — but two long values alike in
    /// their first bytes (a polygon with one vertex moved, keypoints, an RLE mask's counts),
    /// whose cut beginnings would read the same, are shown from a little before where they first
    /// differ, so that the change is in view: `…,237.5,120.0,… (812 bytes)`.
    mutating func change(_ from: UnsafeRawBufferPointer?, _ to: UnsafeRawBufferPointer?) {
        let cut = DiffOutput.cutBytes
        guard let from, let to, max(from.count, to.count) > DiffOutput.wholeBytes else {
            value(from); put(" → "); value(to)
            return
        }
        var common = 0
        let shorter = min(from.count, to.count)
        while common < shorter && from[common] == to[common] { common += 1 }
        // In view already when the first difference lies well inside the cut.
        guard common > cut - DiffOutput.contextBytes else {
            value(from); put(" → "); value(to)
            return
        }
        // From the start of a number or element a little before the difference (a byte after
        // `,` or `[`), or, in a long string (an RLE mask's compressed counts), from a character
        // there: never inside a character's UTF-8.
        func startsElement(_ index: Int) -> Bool {
            index == 0 || from[index - 1] == UInt8(ascii: ",") || from[index - 1] == UInt8(ascii: "[")
        }
        let near = common - DiffOutput.contextBytes
        var start = near
        while !startsElement(start) && start > near - DiffOutput.contextBytes { start -= 1 }
        if !startsElement(start) {
            start = near
            while start > 0 && from[start] & 0xC0 == 0x80 { start -= 1 }
        }
        window(from, from: start); put(" → "); window(to, from: start)
    }

    /// `value` from byte `start` on (after a `…` when that is not the beginning), with the
    /// whole value's size when any of it is left out.
    private mutating func window(_ value: UnsafeRawBufferPointer, from start: Int) {
        if start > 0 { put("…") }
        let rest = UnsafeRawBufferPointer(rebasing: value[start...])
        if putCut(rest, whole: DiffOutput.cutBytes) { put("…") }
        if start > 0 || rest.count > DiffOutput.cutBytes {
            put(" (")
            putCount(value.count)
            put(" bytes)")
        }
    }

    /// A count as `Int.formatted` writes it (thousands set apart by commas), written as bytes:
    /// a review writes one for each long value, and made three strings of each.
    mutating func putCount(_ count: Int) {
        if count < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = count.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { room in  // 20 digits, 6 commas
            var start = room.count, written = 0
            repeat {
                if written > 0 && written % 3 == 0 {
                    start -= 1
                    room[start] = UInt8(ascii: ",")
                }
                start -= 1
                room[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                written += 1
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: room[start...]))
        }
    }

    /// Whether the bytes are ASCII without a CR, read eight at a time (one test of their high
    /// bits, one for a CR among them): byte by byte, this was most of writing a long value.
    static func isPlainASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let carriage = word ^ (ones &* UInt64(UInt8(ascii: "\r")))
            // A byte of `carriage` is zero where `word` holds a CR (`word` has no high bit set).
            guard word & highs == 0, (carriage &- ones) & ~carriage & highs == 0 else { return false }
            index += 8
        }
        return bytes[index...].allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\r") }
    }

    /// What `body` puts, in the colour `code` stands for when the output is a terminal.
    mutating func styled(_ code: String, _ body: (inout ReviewText) -> Void) {
        guard Style.enabled else { return body(&self) }
        let opening = Style.opening(code)
        put(opening)
        let start = bytes.count
        body(&self)
        if bytes.count == start { bytes.removeLast(opening.utf8.count) } else { put(Style.closing) }
    }
}
