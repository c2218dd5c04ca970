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

/// An incremental hash. Feed it bytes, then `finish()`.
///
/// SHA-256 and SHA-1 run through OpenSSL's low-level functions (`SHA256_Update`, `SHA1_Update`):
/// the same assembly (SHA-NI) as EVP, without EVP's per-call provider dispatch, which costs
/// about as much as hashing 40 bytes. A commit makes hundreds of thousands of such small hashes
/// (record fingerprints, shard keys, git objects): measured, EVP's overhead was 3% of a
/// next-round commit. OpenSSL 3 deprecates these functions but keeps them; `shim.h` includes
/// them with `OPENSSL_SUPPRESS_DEPRECATED`. MD5 (for S3 ETags, over whole files) stays on EVP.
public final class Hasher: @unchecked Sendable {
    private enum Context {
        case sha256(UnsafeMutablePointer<SHA256_CTX>)
        case sha1(UnsafeMutablePointer<SHA_CTX>)
        case evp(OpaquePointer)
    }

    private let context: Context
    public let algorithm: DigestAlgorithm

    public init(_ algorithm: DigestAlgorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha256:
            let context = UnsafeMutablePointer<SHA256_CTX>.allocate(capacity: 1)
            SHA256_Init(context)
            self.context = .sha256(context)
        case .sha1:
            let context = UnsafeMutablePointer<SHA_CTX>.allocate(capacity: 1)
            SHA1_Init(context)
            self.context = .sha1(context)
        case .md5:
            guard let context = EVP_MD_CTX_new() else { fatalError("out of memory: EVP_MD_CTX_new") }
            EVP_DigestInit_ex(context, algorithm.evp, nil)
            self.context = .evp(context)
        }
    }

    deinit {
        switch context {
        case .sha256(let context): context.deallocate()
        case .sha1(let context): context.deallocate()
        case .evp(let context): EVP_MD_CTX_free(context)
        }
    }

    /// A hasher in the same state, fed independently from here on.
    public func copy() -> Hasher {
        Hasher(copying: self)
    }

    private init(copying other: Hasher) {
        algorithm = other.algorithm
        switch other.context {
        case .sha256(let source):
            let context = UnsafeMutablePointer<SHA256_CTX>.allocate(capacity: 1)
            context.initialize(to: source.pointee)
            self.context = .sha256(context)
        case .sha1(let source):
            let context = UnsafeMutablePointer<SHA_CTX>.allocate(capacity: 1)
            context.initialize(to: source.pointee)
            self.context = .sha1(context)
        case .evp(let source):
            guard let context = EVP_MD_CTX_new() else { fatalError("out of memory: EVP_MD_CTX_new") }
            EVP_MD_CTX_copy_ex(context, source)
            self.context = .evp(context)
        }
    }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        switch context {
        case .sha256(let context): SHA256_Update(context, bytes.baseAddress, bytes.count)
        case .sha1(let context): SHA1_Update(context, bytes.baseAddress, bytes.count)
        case .evp(let context): EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
        }
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
        return withUnsafeMutableBytes(of: &out) { raw in
            let digest = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var length = 0
            switch context {
            case .sha256(let context):
                SHA256_Final(digest, context)
                SHA256_Init(context)
                length = Int(SHA256_DIGEST_LENGTH)
            case .sha1(let context):
                SHA1_Final(digest, context)
                SHA1_Init(context)
                length = Int(SHA_DIGEST_LENGTH)
            case .evp(let context):
                var evpLength: UInt32 = 0
                EVP_DigestFinal_ex(context, digest, &evpLength)
                EVP_DigestInit_ex(context, algorithm.evp, nil)
                length = Int(evpLength)
            }
            return body(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
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
