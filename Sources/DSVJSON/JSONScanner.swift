/// A validating JSON scanner over raw bytes. It builds no tree: it checks the grammar (RFC 8259),
/// UTF-8 and the finiteness of numbers, and reports where each value starts and ends, so that
/// callers can keep every value's exact text by slicing the input.
///
/// This is the hot path of every commit (hundreds of MB): it works on an unsafe buffer with
/// integer offsets and never allocates.
public struct JSONScanner {
    public let bytes: UnsafeRawBufferPointer
    @usableFromInline let base: UnsafePointer<UInt8>
    public let end: Int
    /// The current offset.
    public var position: Int
    /// Set whenever whitespace between tokens is skipped; callers reset it to learn whether a
    /// value was written compactly.
    public var sawWhitespace = false
    /// Where the keys of the last object read with `skipKey` lay, by member index (length 0: none).
    @usableFromInline var keyStarts = InlineArray<16, Int>(repeating: 0)
    @usableFromInline var keyLengths = InlineArray<16, Int>(repeating: 0)

    @inlinable public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        base = bytes.count > 0 ? bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
            : UnsafePointer(bitPattern: 1)!
        end = bytes.count
        self.position = position
    }

    @inlinable @inline(__always) public var atEnd: Bool { position >= end }

    @inlinable @inline(__always) public func peek() -> UInt8 { position < end ? base[position] : 0 }

    @inlinable @inline(__always) public func byte(at offset: Int) -> UInt8 { base[offset] }

    public func error(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: offset ?? position, reason: reason)
    }

    /// Skips spaces, tabs, CR and LF. Compact JSON has none, so the first test usually ends it.
    @inlinable @inline(__always) public mutating func skipWhitespace() {
        guard position < end, base[position] <= 0x20 else { return }
        skipWhitespaceSlow()
    }

    /// Skips what a document may hold before its value: a UTF-8 byte order mark (tolerated, and
    /// kept by the callers as written), then whitespace.
    public mutating func skipLeading() {
        if end - position >= 3 && base[position] == 0xEF && base[position + 1] == 0xBB && base[position + 2] == 0xBF {
            position += 3
        }
        skipWhitespace()
    }

    /// Whether `c` is JSON whitespace: space, tab, LF or CR.
    @inlinable @inline(__always) public static func isWhitespace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09
    }

    @usableFromInline @inline(never) mutating func skipWhitespaceSlow() {
        let start = position
        while position < end, Self.isWhitespace(base[position]) { position += 1 }
        if position != start { sawWhitespace = true }
    }

    /// Consumes `byte` (after whitespace) or throws.
    @inlinable @inline(__always) public mutating func expect(_ byte: UInt8, _ what: StaticString) throws(JSONSyntaxError) {
        skipWhitespace()
        guard position < end, base[position] == byte else { throw unexpected(expected: what) }
        position += 1
    }

    /// An error for the byte at the current position, phrased for a person.
    public func unexpected(expected: StaticString) -> JSONSyntaxError {
        if position >= end { return error("unexpected end of file (truncated?), expected \(expected)") }
        let c = base[position]
        if c == UInt8(ascii: "N") || c == UInt8(ascii: "I") || (c == UInt8(ascii: "-") && position + 1 < end && base[position + 1] == UInt8(ascii: "I")) {
            return error("non-finite number (NaN or Infinity) is not valid JSON")
        }
        if c >= 0x20 && c < 0x7F { return error("unexpected '\(Character(UnicodeScalar(c)))', expected \(expected)") }
        return error("unexpected byte 0x\(String(c, radix: 16)), expected \(expected)")
    }

    /// Validates one value starting at the current position (after whitespace) and returns its
    /// range; the position ends just after it.
    @inlinable public mutating func scanValue() throws(JSONSyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = position
        try skipValue(depth: 0)
        return start..<position
    }

    @inlinable mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        guard position < end else { throw unexpected(expected: "a value") }
        switch base[position] {
        case UInt8(ascii: "{"):
            guard depth < 512 else { throw error("nesting deeper than 512 levels") }
            position += 1
            skipWhitespace()
            if position < end && base[position] == UInt8(ascii: "}") { position += 1; return }
            while true {
                skipWhitespace()
                guard position < end, base[position] == UInt8(ascii: "\"") else { throw unexpected(expected: "a string key") }
                try skipString()
                try expect(UInt8(ascii: ":"), "':'")
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard position < end else { throw unexpected(expected: "',' or '}'") }
                let c = base[position]
                position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "}") { return }
                position -= 1
                throw unexpected(expected: "',' or '}'")
            }
        case UInt8(ascii: "["):
            guard depth < 512 else { throw error("nesting deeper than 512 levels") }
            position += 1
            skipWhitespace()
            if position < end && base[position] == UInt8(ascii: "]") { position += 1; return }
            // Fast path for arrays of numbers (polygons, boxes, RLE counts, keypoints): each
            // turn consumes a number and its separator; a non-number falls through to the
            // general loop at the start of a value.
            while position < end, base[position] == UInt8(ascii: "-") || isDigit(base[position]) {
                if skipPlainNumbers() { return }
                guard position < end, base[position] == UInt8(ascii: "-") || isDigit(base[position]) else { break }
                try skipNumber()
                skipWhitespace()
                guard position < end else { throw unexpected(expected: "',' or ']'") }
                let c = base[position]
                if c == UInt8(ascii: "]") { position += 1; return }
                guard c == UInt8(ascii: ",") else { throw unexpected(expected: "',' or ']'") }
                position += 1
                skipWhitespace()
            }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard position < end else { throw unexpected(expected: "',' or ']'") }
                let c = base[position]
                position += 1
                if c == UInt8(ascii: ",") { continue }
                if c == UInt8(ascii: "]") { return }
                position -= 1
                throw unexpected(expected: "',' or ']'")
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber()
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        default:
            throw unexpected(expected: "a value")
        }
    }

    /// Consumes compact runs of plain numbers in an array — `12.5,-3,0.25]` — the bulk of a COCO
    /// file's bytes (polygons, boxes, RLE counts, keypoints), 64 bytes at a time where it can
    /// (`PlainNumberBlock`), else a number at a time (`plainNumberEnd`). It accepts only what
    /// `skipNumber` accepts without further checks (no exponent, under 290 integer digits)
    /// followed by `,` or `]`; anything else (an exponent, whitespace, another kind of value, an
    /// error) stops it at the start of that element, for the general path to take over — and
    /// report any error exactly as it would have.
    /// - Returns: true when it consumed the array's closing `]`.
    @inlinable @inline(__always) mutating func skipPlainNumbers() -> Bool {
        let b = base, e = end
        var p = position
        // Whole blocks first, while 64 bytes can be read; the byte loop below finishes the array
        // or takes over where a block declines.
        while p &+ PlainNumberBlock.width <= e {
            let (consumed, closed) = PlainNumberBlock.scan(b + p)
            guard consumed > 0 else { break }
            p &+= consumed
            if closed {
                position = p
                return true
            }
        }
        while let numberEnd = plainNumberEnd(from: p) {
            let c: UInt8 = numberEnd < e ? b[numberEnd] : 0
            if c == UInt8(ascii: ",") {
                p = numberEnd + 1
                continue
            }
            if c == UInt8(ascii: "]") {
                position = numberEnd + 1
                return true
            }
            break
        }
        position = p
        return false
    }

    /// Where the plain number at `start` ends — `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, under 290 integer
    /// digits, which `skipNumber` accepts without further checks — or nil when there is none
    /// there. The caller looks at the byte after it: a number followed by anything but its
    /// separator or closer (an exponent, a digit after a leading zero) is not done.
    @inlinable @inline(__always) func plainNumberEnd(from start: Int) -> Int? {
        let b = base, e = end
        var p = start
        var c: UInt8 = p < e ? b[p] : 0
        if c == UInt8(ascii: "-") {
            p += 1
            c = p < e ? b[p] : 0
        }
        if c == UInt8(ascii: "0") {
            p += 1
        } else if c &- UInt8(ascii: "1") < 9 {
            p += 1
            let digits = p
            while p < e && b[p] &- UInt8(ascii: "0") < 10 { p += 1 }
            if p - digits > 290 { return nil }
        } else {
            return nil
        }
        if p < e && b[p] == UInt8(ascii: ".") {
            p += 1
            guard p < e, b[p] &- UInt8(ascii: "0") < 10 else { return nil }
            p += 1
            while p < e && b[p] &- UInt8(ascii: "0") < 10 { p += 1 }
        }
        return p
    }

    /// Validates the value of an object member (after whitespace) and returns its range: a
    /// plain number followed by `,` or `}` — ids, areas, flags, most of a COCO object's
    /// scalars — inline, anything else through `skipValue`.
    @inlinable @inline(__always) public mutating func scanMemberValue() throws(JSONSyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = position
        if let numberEnd = plainNumberEnd(from: start), numberEnd < end,
           base[numberEnd] == UInt8(ascii: ",") || base[numberEnd] == UInt8(ascii: "}") {
            position = numberEnd
            return start..<numberEnd
        }
        try skipValue(depth: 0)
        return start..<position
    }

    @inlinable @inline(__always) mutating func skipLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= end else { throw error("unexpected end of file (truncated?)") }
        let text = literal.utf8Start
        for i in 0..<count where base[position + i] != text[i] {
            throw unexpected(expected: "a value")
        }
        position += count
    }

    /// Skips the key of member `member` of an object, at its opening quote. The objects of a
    /// COCO array repeat their keys in the same order; a key whose bytes are those of the key
    /// the previous object had at the same place is the same valid string and is not validated
    /// again — which saves a third of the work spent on the objects besides their numbers.
    @inlinable @inline(__always) public mutating func skipKey(member: Int) throws(JSONSyntaxError) {
        let start = position
        guard member < keyStarts.count else { return try skipString() }
        let length = keyLengths[member]
        if length > 0, start &+ 16 <= end, Self.equal16(base + start, base + keyStarts[member], length) {
            position = start &+ length
            return
        }
        try skipString()
        let read = position &- start
        (keyStarts[member], keyLengths[member]) = (start, read <= 16 ? read : 0)
    }

    /// Whether the first `count` (1...16) bytes at `a` and `b` are equal; 16 bytes of each are readable.
    @inlinable @inline(__always) static func equal16(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let x = UnsafeRawPointer(a).loadUnaligned(as: UInt128.self) ^ UnsafeRawPointer(b).loadUnaligned(as: UInt128.self)
        return UInt128(littleEndian: x) & (UInt128.max >> (128 &- 8 &* count)) == 0
    }

    /// Validates a string starting at its opening quote: escapes, control characters and UTF-8.
    @inlinable public mutating func skipString() throws(JSONSyntaxError) {
        let open = position
        position += 1
        while true {
            // Fast path: plain ASCII, eight bytes at a time (SWAR): a word goes by whole unless it
            // holds a quote, a backslash, a control character or a non-ASCII byte; then the
            // first such byte is exactly where the byte loop below takes over.
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            while position + 8 <= end {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self))
                let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                let flagged = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) | word) & highs
                if flagged != 0 {
                    position += flagged.trailingZeroBitCount >> 3
                    break
                }
                position += 8
            }
            while position < end {
                let c = base[position]
                if c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x80 { break }
                position += 1
            }
            guard position < end else { throw error("unterminated string (truncated?)", at: open) }
            let c = base[position]
            if c == 0x22 { position += 1; return }
            if c == 0x5C {
                guard position + 1 < end else { throw error("unterminated string (truncated?)", at: open) }
                switch base[position + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 2
                case UInt8(ascii: "u"):
                    guard position + 6 <= end else { throw error("unterminated string (truncated?)", at: open) }
                    for i in 2..<6 where !isHexDigit(base[position + i]) {
                        throw error("invalid \\u escape")
                    }
                    position += 6
                default:
                    throw error("invalid escape in string")
                }
            } else if c < 0x20 {
                throw error("unescaped control character in string")
            } else {
                try skipUTF8Sequence()
            }
        }
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, ≤ U+10FFFF).
    @inlinable @inline(__always) mutating func skipUTF8Sequence() throws(JSONSyntaxError) {
        let c = base[position]
        var length = 0
        var minimum: UInt32 = 0
        var scalar: UInt32 = 0
        if c & 0xE0 == 0xC0 { length = 2; minimum = 0x80; scalar = UInt32(c & 0x1F) }
        else if c & 0xF0 == 0xE0 { length = 3; minimum = 0x800; scalar = UInt32(c & 0x0F) }
        else if c & 0xF8 == 0xF0 { length = 4; minimum = 0x10000; scalar = UInt32(c & 0x07) }
        else { throw error("invalid UTF-8") }
        guard position + length <= end else { throw error("invalid UTF-8 (truncated sequence)") }
        for i in 1..<length {
            let next = base[position + i]
            guard next & 0xC0 == 0x80 else { throw error("invalid UTF-8") }
            scalar = scalar << 6 | UInt32(next & 0x3F)
        }
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else {
            throw error("invalid UTF-8")
        }
        position += length
    }

    /// Validates a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, and refuses one
    /// whose value is not finite as a double (e.g. `1e999`).
    @inline(__always)
    @inlinable public mutating func skipNumber() throws(JSONSyntaxError) {
        let start = position
        if base[position] == UInt8(ascii: "-") {
            position += 1
            if position < end && base[position] == UInt8(ascii: "I") { throw error("non-finite number (Infinity) is not valid JSON") }
        }
        guard position < end, isDigit(base[position]) else { throw numberError("invalid number", at: start) }
        let integerStart = position
        if base[position] == UInt8(ascii: "0") {
            position += 1
            if position < end && isDigit(base[position]) { throw error("invalid number (leading zero)", at: start) }
        } else {
            while position < end && isDigit(base[position]) { position += 1 }
        }
        let integerDigits = position - integerStart
        var hasExponent = false
        if position < end && base[position] == UInt8(ascii: ".") {
            position += 1
            guard position < end, isDigit(base[position]) else { throw numberError("invalid number (no digits after '.')", at: start) }
            while position < end && isDigit(base[position]) { position += 1 }
        }
        if position < end && (base[position] | 0x20) == UInt8(ascii: "e") {
            hasExponent = true
            position += 1
            if position < end && (base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-")) { position += 1 }
            guard position < end, isDigit(base[position]) else { throw numberError("invalid number (no exponent digits)", at: start) }
            while position < end && isDigit(base[position]) { position += 1 }
        }
        if hasExponent || integerDigits > 300 {
            let text = String(decoding: UnsafeRawBufferPointer(start: base + start, count: position - start), as: UTF8.self)
            if let value = Double(text), !value.isFinite {
                throw error("non-finite number \(text.prefix(40)) (overflows a double)", at: start)
            }
        }
    }

    /// A number that is cut short by the end of the file is most likely a truncated file.
    @usableFromInline func numberError(_ reason: String, at start: Int) -> JSONSyntaxError {
        error(position >= end ? "number cut short by the end of the file (truncated?)" : reason, at: start)
    }

    @inlinable @inline(__always) func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

    @inlinable @inline(__always) func isHexDigit(_ c: UInt8) -> Bool {
        c &- UInt8(ascii: "0") < 10 || (c | 0x20) &- UInt8(ascii: "a") < 6
    }
}
