/// A key — an S3 object's, an image's `file_name` — compared as S3 compares keys: byte for
/// byte. Swift's `String` compares (and hashes) by canonical equivalence, so "café.jpg" with a
/// precomposed é (NFC, as Linux tools write it) equals "café.jpg" with an e and a combining
/// accent (NFD, as macOS writes it); to S3 they are two objects, and to dsv two images. Every
/// table of images or objects by key is keyed by this.
public struct ExactKey: Hashable, Sendable, CustomStringConvertible {
    public let string: String

    public init(_ string: String) { self.string = string }

    public static func == (a: ExactKey, b: ExactKey) -> Bool {
        var (a, b) = (a.string, b.string)
        return a.withUTF8 { x in b.withUTF8 { y in x.count == y.count && x.elementsEqual(y) } }
    }

    public func hash(into hasher: inout Hasher) {
        var string = string
        string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    public var description: String { string }
}

extension ExactKey: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self.init(value) }
}
