/// Decoding and encoding of JSON string contents.
public enum JSONString {
    /// The text of a JSON string literal (with its quotes), escapes resolved. The literal must have
    /// been validated by `JSONScanner`. Lone surrogates become U+FFFD.
    public static func decode(_ literal: UnsafeRawBufferPointer) -> String {
        let inner = UnsafeRawBufferPointer(rebasing: literal.dropFirst().dropLast())
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var index = 0
        var pendingHigh: UInt32? = nil
        func flushHigh(_ out: inout [UInt8]) {
            if pendingHigh != nil { appendUTF8(0xFFFD, to: &out); pendingHigh = nil }
        }
        while index < inner.count {
            let c = inner[index]
            if c != UInt8(ascii: "\\") {
                flushHigh(&out)
                out.append(c)
                index += 1
                continue
            }
            let e = inner[index + 1]
            index += 2
            if e == UInt8(ascii: "u") {
                var value: UInt32 = 0
                for i in 0..<4 { value = value << 4 | UInt32(hexDigitValue(inner[index + i])) }
                index += 4
                if (0xD800...0xDBFF).contains(value) {
                    flushHigh(&out)
                    pendingHigh = value
                } else if (0xDC00...0xDFFF).contains(value) {
                    if let high = pendingHigh {
                        appendUTF8(0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00), to: &out)
                        pendingHigh = nil
                    } else {
                        appendUTF8(0xFFFD, to: &out)
                    }
                } else {
                    flushHigh(&out)
                    appendUTF8(value, to: &out)
                }
                continue
            }
            flushHigh(&out)
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            default: out.append(e)  // " \ /
            }
        }
        flushHigh(&out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON string literal for `text`: quotes, backslash and control characters escaped, the
    /// rest as UTF-8.
    public static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        encode(text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `encode(text)` appended to `out`.
    public static func encode(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): out.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): out.append(contentsOf: #"\t"#.utf8)
            case ..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func hexDigitValue(_ c: UInt8) -> UInt8 {
        c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        let value = UnicodeScalar(scalar) ?? "\u{FFFD}"
        out.append(contentsOf: Array(String(Character(value)).utf8))
    }
}
