import COpenSSL

/// The hash functions dsv uses, all from OpenSSL's libcrypto.
public enum DigestAlgorithm: Sendable {
    /// Content addressing of manifests, SigV4.
    case sha256
    /// Git object ids and the pack trailer.
    case sha1
    /// S3 ETags of single-part, unencrypted uploads.
    case md5

    /// Fetched once: OpenSSL 3 looks an implicit `EVP_sha256()` up again, under a lock, on every
    /// `EVP_DigestInit_ex` — a cost that shows with millions of small hashes on several cores.
    var evp: OpaquePointer {
        switch self {
        case .sha256: Self.fetched.sha256
        case .sha1: Self.fetched.sha1
        case .md5: Self.fetched.md5
        }
    }

    private struct Fetched: @unchecked Sendable {
        let sha256 = EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()!
        let sha1 = EVP_MD_fetch(nil, "SHA1", nil) ?? EVP_sha1()!
        let md5 = EVP_MD_fetch(nil, "MD5", nil) ?? EVP_md5()!
    }

    private static let fetched = Fetched()
}

/// An incremental hash (`EVP_DigestInit_ex`/`Update`/`Final_ex`). Feed it bytes, then `finish()`.
public final class Hasher: @unchecked Sendable {
    private let context: OpaquePointer
    public let algorithm: DigestAlgorithm

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        guard let context = EVP_MD_CTX_new() else { fatalError("out of memory: EVP_MD_CTX_new") }
        self.context = context
        EVP_DigestInit_ex(context, algorithm.evp, nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public func update(_ string: String) {
        var copy = string
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The digest; the hasher starts over afterwards.
    public func finish() -> [UInt8] { finish { Array($0) } }

    /// Lends the digest's bytes without allocating (for millions of small hashes); the hasher
    /// starts over afterwards.
    public func finish<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        // EVP_MAX_MD_SIZE (64) bytes, on the stack.
        var out: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        var length: UInt32 = 0
        return withUnsafeMutableBytes(of: &out) { raw in
            EVP_DigestFinal_ex(context, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), &length)
            EVP_DigestInit_ex(context, algorithm.evp, nil)
            return body(UnsafeRawBufferPointer(rebasing: raw[0..<Int(length)]))
        }
    }

    /// The digest of one buffer.
    public static func digest(_ algorithm: DigestAlgorithm, _ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let hasher = Hasher(algorithm)
        hasher.update(bytes)
        return hasher.finish()
    }

    public static func digest(_ algorithm: DigestAlgorithm, _ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest(algorithm, $0) }
    }

    public static func digest(_ algorithm: DigestAlgorithm, _ string: String) -> [UInt8] {
        digest(algorithm, Array(string.utf8))
    }
}

/// A SHA-256 digest as a value, kept inline: shard digests are loaded, stored and compared by the
/// hundred thousand, and an array per digest cost an allocation for each.
public struct SHA256Digest: Hashable, Sendable {
    public static let byteCount = 32
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// From 32 raw bytes.
    public init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == Self.byteCount, "a SHA-256 digest has 32 bytes")
        words = (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self), bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    public init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { SHA256Digest(bytes: $0) }
    }

    /// The SHA-256 of `bytes`.
    public init(of bytes: UnsafeRawBufferPointer) {
        let hasher = Hasher(.sha256)
        hasher.update(bytes)
        self = hasher.finish { SHA256Digest(bytes: $0) }
    }

    public init(of bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { SHA256Digest(of: $0) }
    }

    /// Lends the 32 raw bytes without allocating.
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: words) { body($0) }
    }

    public static func == (a: SHA256Digest, b: SHA256Digest) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Swift.Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
