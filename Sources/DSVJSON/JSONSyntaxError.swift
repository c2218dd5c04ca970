/// Malformed JSON: what was wrong and the byte offset where it was found. The reader turns the
/// offset into `line:column` only when it reports, so the hot path carries no line counter.
public struct JSONSyntaxError: Error, Sendable, Equatable {
    public let offset: Int
    public let reason: String
    /// False for a rule of the format read that valid JSON broke (`rule(_:at:)`): thrown the same
    /// way, to keep its place, but not reported as invalid JSON.
    public let isGrammar: Bool

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
        isGrammar = true
    }

    private init(rule reason: String, offset: Int) {
        self.offset = offset
        self.reason = reason
        isGrammar = false
    }

    /// A rule of the format being read (an image without `file_name`), broken at `offset` by
    /// JSON that is itself valid.
    public static func rule(_ reason: String, at offset: Int) -> JSONSyntaxError {
        JSONSyntaxError(rule: reason, offset: offset)
    }
}

/// A 1-based line and column (in bytes) of an offset in a buffer.
public struct TextPosition: Sendable, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int

    public init(offset: Int, in bytes: UnsafeRawBufferPointer) {
        var line = 1
        var lineStart = 0
        let limit = min(offset, bytes.count)
        var index = 0
        while index < limit {
            if bytes[index] == 0x0A {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        self.line = line
        column = limit - lineStart + 1
    }

    public var description: String { "\(line):\(column)" }
}
