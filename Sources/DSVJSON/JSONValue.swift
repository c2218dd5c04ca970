/// A JSON value for small documents (headers, categories, one annotation, dataset.json, command
/// output). Numbers keep their text; objects keep their key order. Never used for whole exports.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number exactly as written.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.number(let x), .number(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        case (.array(let x), .array(let y)): x == y
        case (.object(let x), .object(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// The member `key` of an object (the first, if repeated).
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var numberText: String? {
        if case .number(let s) = self { return s }
        return nil
    }

    public var doubleValue: Double? { numberText.flatMap(Double.init) }
    public var intValue: Int? { numberText.flatMap { Int($0) } ?? doubleValue.flatMap { $0 == $0.rounded() && abs($0) < 9e15 ? Int($0) : nil } }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    // MARK: Parsing

    /// Parses a complete document (whitespace around it allowed, and a UTF-8 byte order mark
    /// before it, as the export readers allow one: a stored header keeps the mark its export
    /// began with, and its categories must still be found).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONSyntaxError) -> JSONValue {
        var scanner = JSONScanner(bytes)
        scanner.skipLeading()
        let value = try parseValue(&scanner)
        scanner.skipWhitespace()
        if !scanner.atEnd { throw scanner.error("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        try bytes.withUnsafeBytes { b in Result { () throws(JSONSyntaxError) in try parse(b) } }.get()
    }

    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try parse(Array(text.utf8)) }

    static func parseValue(_ scanner: inout JSONScanner) throws(JSONSyntaxError) -> JSONValue {
        scanner.skipWhitespace()
        let start = scanner.position
        switch scanner.peek() {
        case UInt8(ascii: "{"):
            scanner.position += 1
            var members: [(String, JSONValue)] = []
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "}") { scanner.position += 1; return .object(members) }
            while true {
                scanner.skipWhitespace()
                guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected(expected: "a string key") }
                let keyStart = scanner.position
                try scanner.skipString()
                let key = JSONString.decode(UnsafeRawBufferPointer(rebasing: scanner.bytes[keyStart..<scanner.position]))
                try scanner.expect(UInt8(ascii: ":"), "':'")
                members.append((key, try parseValue(&scanner)))
                scanner.skipWhitespace()
                let c = scanner.peek()
                if c == UInt8(ascii: ",") { scanner.position += 1; continue }
                if c == UInt8(ascii: "}") { scanner.position += 1; return .object(members) }
                throw scanner.unexpected(expected: "',' or '}'")
            }
        case UInt8(ascii: "["):
            scanner.position += 1
            var items: [JSONValue] = []
            scanner.skipWhitespace()
            if scanner.peek() == UInt8(ascii: "]") { scanner.position += 1; return .array(items) }
            while true {
                items.append(try parseValue(&scanner))
                scanner.skipWhitespace()
                let c = scanner.peek()
                if c == UInt8(ascii: ",") { scanner.position += 1; continue }
                if c == UInt8(ascii: "]") { scanner.position += 1; return .array(items) }
                throw scanner.unexpected(expected: "',' or ']'")
            }
        case UInt8(ascii: "\""):
            try scanner.skipString()
            return .string(JSONString.decode(UnsafeRawBufferPointer(rebasing: scanner.bytes[start..<scanner.position])))
        default:
            let range = try scanner.scanValue()
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: scanner.bytes[range]), as: UTF8.self)
            switch text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .null
            default: return .number(text)
            }
        }
    }

    // MARK: Serialization

    /// Compact JSON (no whitespace), numbers as kept.
    public var compact: String {
        var out: [UInt8] = []
        write(into: &out, pretty: false, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Indented JSON with two spaces, as people read it.
    public var pretty: String {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(into: &out, pretty: true, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Indented JSON as `pretty` writes it, handed to `sink` in pieces of about `chunk` bytes
    /// as it is written: a diff's JSON can be tens of megabytes, never held whole.
    public func writePretty<E: Error>(chunk: Int = 1 << 20, to sink: (ArraySlice<UInt8>) throws(E) -> Void) throws(E) {
        var out: [UInt8] = []
        out.reserveCapacity(chunk + chunk / 4)
        var failure: E?
        write(into: &out, pretty: true, level: 0) { full in
            guard failure == nil, full.count >= chunk else { return }
            do throws(E) { try sink(full[...]) } catch { failure = error }
            full.removeAll(keepingCapacity: true)
        }
        if let failure { throw failure }
        try sink(out[...])
    }

    /// Written as bytes, not appended to a `String`: bytes append several times faster.
    /// `drain` is offered the buffer after each element of an array or object.
    public func write(into out: inout [UInt8], pretty: Bool, level: Int, drain: (inout [UInt8]) -> Void = { _ in }) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.append(contentsOf: n.utf8)
        case .string(let s): JSONString.encode(s, into: &out)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { Self.newline(&out, level + 1) }
                item.write(into: &out, pretty: pretty, level: level + 1, drain: drain)
                drain(&out)
            }
            if pretty { Self.newline(&out, level) }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { Self.newline(&out, level + 1) }
                JSONString.encode(key, into: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                value.write(into: &out, pretty: pretty, level: level + 1, drain: drain)
                drain(&out)
            }
            if pretty { Self.newline(&out, level) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ level: Int) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
    }
}
