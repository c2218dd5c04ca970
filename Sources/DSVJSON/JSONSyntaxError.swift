/// Malformed JSON: what was wrong and the byte offset where it was found. The reader turns the
/// offset into `line:column` only when it reports, so the hot path carries no line counter.
public struct JSONSyntaxError: Error, Sendable, Equatable {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
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
