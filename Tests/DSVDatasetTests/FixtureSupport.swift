import DSVJSON
import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation

/// Fixture files, named for the quirk they exercise (`Fixtures/good`, `Fixtures/bad`).
enum Fixture {
    static func path(_ name: String) -> String {
        Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)!.path
    }

    static func names(_ folder: String) -> [String] {
        let directory = Bundle.module.url(forResource: "Fixtures/\(folder)", withExtension: nil)!.path
        return try! FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { "\(folder)/\($0)" }
    }

    static func bytes(_ path: String) -> [UInt8] { Array(FileManager.default.contents(atPath: path)!) }
}

/// A repository in a temporary folder, with helpers to commit and check out.
struct ScratchRepository {
    let directory = TemporaryDirectory("dsv-repo")
    let repository: DatasetRepository

    init() throws { repository = try DatasetRepository.create(in: directory.path) }

    static let author = GitSignature(name: "Test", email: "test@example.com", time: 1_764_000_000, offsetMinutes: 0)

    @discardableResult
    func commit(_ paths: [String], _ message: String = "test") throws -> CommitOperation.Outcome {
        try CommitOperation.run(CommitOperation.Request(exports: paths, message: message), in: repository,
                                author: Self.author)
    }

    /// - Parameter direct: past the page cache or through it (nil: as a checkout of its size is).
    func checkout(_ revision: String = "HEAD", direct: Bool? = nil) throws -> [UInt8] {
        let version = try StoredVersion(repository: repository, commitID: try repository.resolve(revision))
        let out = directory.file("checkout-\(UUID().uuidString).json")
        try CheckoutWriter.write(version, to: .file(out), direct: direct)
        return Fixture.bytes(out)
    }

    func version(_ revision: String = "HEAD") throws -> StoredVersion {
        try StoredVersion(repository: repository, commitID: try repository.resolve(revision))
    }
}

/// The document with insignificant whitespace removed (strings and numbers untouched): what a
/// checkout of a pretty-printed export must equal.
func minified(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    bytes.withUnsafeBytes { JSONMinifier.minify($0, into: &out) }
    return out
}

/// `text` spaced between its tokens only, strings untouched: a space after each `,` and `:` as
/// Python's `json.dump` writes them, or (`newlines`) each member and element on a line of its
/// own, indented, as pretty-printers write them.
func jsonDumped(_ text: String, newlines: Bool = false) -> String {
    var out: [UInt8] = []
    var inString = false, escaped = false, depth = 0
    for c in text.utf8 {
        if inString {
            out.append(c)
            if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
            continue
        }
        switch c {
        case UInt8(ascii: "\""):
            inString = true
            out.append(c)
        case UInt8(ascii: ","):
            out.append(c)
            if newlines { out += [UInt8(ascii: "\n")] + Array(repeating: UInt8(ascii: " "), count: 2 * depth) } else { out.append(UInt8(ascii: " ")) }
        case UInt8(ascii: ":"):
            out += [c, UInt8(ascii: " ")]
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
            out.append(c)
            if newlines { out += [UInt8(ascii: "\n")] + Array(repeating: UInt8(ascii: " "), count: 2 * depth) }
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if newlines { out += [UInt8(ascii: "\n")] + Array(repeating: UInt8(ascii: " "), count: 2 * depth) }
            out.append(c)
        default:
            out.append(c)
        }
    }
    return String(decoding: out, as: UTF8.self)
}
