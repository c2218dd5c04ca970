import DSVNative

/// What earlier commits learned about shards, kept locally so that the next round costs only
/// what changed: for a shard's fingerprint (its uncompressed bytes under this repository's
/// random fingerprint key), the SHA-256 of those bytes and the blob that stores them. A shard
/// whose fingerprint is known is neither hashed with SHA-256, nor compressed, nor written again.
///
/// `.dsv/dsv-shards.cache`: a magic line, the key, then one batch of entries per commit, each
/// batch its entry count and a CRC-32 of the count and the entries, then 88-byte entries
/// (fingerprint, SHA-256, blob id, the commit whose tree holds the blob). (A CRC per entry cost
/// 10 ms of every commit's start in zlib's per-call overhead; one per batch costs 1.) It only
/// saves work: a missing or damaged file is started afresh with a new key, a damaged batch and
/// those after it are dropped, and an entry is used only if the repository still holds its blob —
/// known without a lookup when its commit is in the history being extended (history is never
/// pruned), else asked of the object database. The key never leaves the machine (the file
/// is not part of the git repository), so nobody can craft content to collide with a known shard.
public struct ShardCache: Sendable {
    public struct Entry: Sendable {
        public var contentDigest: SHA256Digest
        public var blobID: GitObjectID
        /// A commit whose tree holds the blob.
        public var commit: GitObjectID

        public init(contentDigest: SHA256Digest, blobID: GitObjectID, commit: GitObjectID) {
            self.contentDigest = contentDigest
            self.blobID = blobID
            self.commit = commit
        }
    }

    static let magic = Array("dsv shard cache 3\n".utf8)
    /// Bytes of one entry, of a batch's head (count and CRC-32) and of the header (magic and
    /// key): the file format.
    public static let entrySize = 16 + 32 + 2 * GitObjectID.byteCount
    public static let batchHeadSize = 8
    public static var headerSize: Int { magic.count + FingerprintKey.byteCount }

    public let path: String
    public let key: FingerprintKey
    public private(set) var entries: ShardTable
    /// The commits the entries name.
    public private(set) var commits: Set<GitObjectID> = []
    /// The file must be written whole on the next append: absent, damaged, or ending in a torn entry.
    private var rewrite: Bool

    /// Reads the repository's cache; anything unreadable gives an empty cache with a new key.
    public init(repository: DatasetRepository) {
        self.init(path: joinPath(repository.path, "dsv-shards.cache"))
        // The digest index an earlier dsv kept before this cache; nothing reads it any more.
        FileSystem.remove(joinPath(repository.path, "dsv-shards.idx"))
    }

    public init(path: String) {
        self.path = path
        // Mapped, not read: the file is read once, in place.
        let mapping = try? FileMapping(path: path)
        let bytes = mapping?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        guard bytes.count >= Self.headerSize, bytes.prefix(Self.magic.count).elementsEqual(Self.magic),
              let key = FingerprintKey(bytes: Array(bytes[Self.magic.count..<Self.headerSize])) else {
            (self.key, entries, rewrite) = (FingerprintKey.random(), ShardTable(), true)
            return
        }
        var commits: Set<GitObjectID> = []
        var lastCommit: GitObjectID?
        self.key = key
        var entries = ShardTable()
        entries.reserveCapacity((bytes.count - Self.headerSize) / Self.entrySize)
        var offset = Self.headerSize
        var damaged = false
        while offset + Self.batchHeadSize <= bytes.count {
            let count = Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).bigEndian)
            let end = offset + Self.batchHeadSize + count * Self.entrySize
            guard end <= bytes.count else { break }
            var crc = CRC32()
            crc.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 4]))
            crc.update(UnsafeRawBufferPointer(rebasing: bytes[offset + Self.batchHeadSize..<end]))
            // A damaged count misplaces every later batch: nothing after it is read.
            guard crc.value == bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).bigEndian else {
                damaged = true
                break
            }
            for start in stride(from: offset + Self.batchHeadSize, to: end, by: Self.entrySize) {
                let entry = UnsafeRawBufferPointer(rebasing: bytes[start..<start + Self.entrySize])
                func field(_ range: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: entry[range]) }
                // A commit's entries are appended together: one set insertion per run.
                let commit = GitObjectID(bytes: field(68..<88))
                if commit != lastCommit {
                    lastCommit = commit
                    commits.insert(commit)
                }
                entries[Fingerprint(bytes: field(0..<16))!] = Entry(contentDigest: SHA256Digest(bytes: field(16..<48)),
                                                                   blobID: GitObjectID(bytes: field(48..<68)), commit: commit)
            }
            offset = end
        }
        self.entries = entries
        self.commits = commits
        rewrite = damaged || offset != bytes.count
    }

    /// Records new shards (best effort: the cache only saves work). Appends them as a batch, or
    /// writes the file anew when it was missing or damaged.
    public mutating func append(_ new: [(Fingerprint, Entry)]) {
        guard !new.isEmpty || rewrite else { return }
        for (fingerprint, entry) in new {
            entries[fingerprint] = entry
            commits.insert(entry.commit)
        }
        if rewrite {
            writeWhole()
            return
        }
        var bytes: [UInt8] = []
        Self.encodeBatch(new, into: &bytes)
        try? FileSystem.append(bytes, to: path)
    }

    /// Whether a cache of `count` entries should be cut down to the `live` shards of the version
    /// just committed: when it holds more than twice as many plus 4,096. Every commit appends
    /// its new shards, and a cache that only grew would cost every later commit more to load
    /// (a few MB after a train2017-sized first commit; a hundred after a thousand rounds).
    public static func needsCompaction(count: Int, live: Int) -> Bool { count > 2 * live + 4096 }

    /// Keeps only `kept` (the shards of the version just committed), written whole under the
    /// same key. Shards of older versions are then encoded again should a later export bring
    /// them back; nothing else changes.
    public mutating func compact(to kept: [(Fingerprint, Entry)]) {
        entries = ShardTable(kept)
        commits = Set(kept.map(\.1.commit))
        writeWhole()
    }

    /// The magic, the key and every entry, replacing the file atomically (best effort).
    private mutating func writeWhole() {
        var bytes = Self.magic + key.bytes
        if !entries.isEmpty { Self.encodeBatch(entries.pairs, into: &bytes) }
        guard let writer = try? AtomicFileWriter(destination: path), (try? writer.write(bytes)) != nil,
              (try? writer.commit()) != nil else { return }
        rewrite = false
    }

    /// One batch: the count, the CRC-32 of the count and the entries, the entries.
    static func encodeBatch(_ batch: [(Fingerprint, Entry)], into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.reserveCapacity(start + Self.batchHeadSize + batch.count * Self.entrySize)
        withUnsafeBytes(of: UInt32(batch.count).bigEndian) { bytes += $0 }
        bytes += [0, 0, 0, 0]
        for (fingerprint, entry) in batch {
            bytes += fingerprint.bytes
            entry.contentDigest.withBytes { bytes += $0 }
            entry.blobID.withBytes { bytes += $0 }
            entry.commit.withBytes { bytes += $0 }
        }
        var crc = CRC32()
        bytes.withUnsafeBytes { all in
            crc.update(UnsafeRawBufferPointer(rebasing: all[start..<start + 4]))
            crc.update(UnsafeRawBufferPointer(rebasing: all[(start + Self.batchHeadSize)...]))
        }
        withUnsafeBytes(of: crc.value.bigEndian) { crc in
            for i in 0..<4 { bytes[start + 4 + i] = crc[i] }
        }
    }
}
