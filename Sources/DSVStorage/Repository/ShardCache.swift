import DSVNative

/// What earlier commits learned about shards, kept locally so that the next round costs only
/// what changed: for a shard's fingerprint (its uncompressed bytes under this repository's
/// random fingerprint key), the SHA-256 of those bytes and the blob that stores them. A shard
/// whose fingerprint is known is neither hashed with SHA-256, nor compressed, nor written again.
///
/// `.dsv/dsv-shards.cache`: a magic line, the key, then 92-byte entries (fingerprint, SHA-256,
/// blob id, the commit whose tree holds the blob, CRC-32 of the four), appended after each
/// commit. It only saves work: a missing or damaged file is started afresh with a new key, a
/// damaged entry is skipped, and an entry is used only if the repository still holds its blob —
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

    static let magic = Array("dsv shard cache 2\n".utf8)
    static let entrySize = 16 + 32 + 2 * GitObjectID.byteCount + 4
    static var headerSize: Int { magic.count + FingerprintKey.byteCount }

    public let path: String
    public let key: FingerprintKey
    public private(set) var entries: [Fingerprint: Entry]
    /// The commits the entries name.
    public private(set) var commits: Set<GitObjectID> = []
    /// The file must be written whole on the next append: absent, damaged, or ending in a torn entry.
    private var rewrite: Bool

    /// Reads the repository's cache; anything unreadable gives an empty cache with a new key.
    public init(repository: DatasetRepository) {
        self.init(path: joinPath(repository.path, "dsv-shards.cache"))
    }

    public init(path: String) {
        self.path = path
        // Mapped, not read: the file is read once, in place.
        let mapping = try? FileMapping(path: path)
        let bytes = mapping?.bytes ?? UnsafeRawBufferPointer(start: nil, count: 0)
        guard bytes.count >= Self.headerSize, bytes.prefix(Self.magic.count).elementsEqual(Self.magic),
              let key = FingerprintKey(bytes: Array(bytes[Self.magic.count..<Self.headerSize])) else {
            (self.key, entries, rewrite) = (FingerprintKey.random(), [:], true)
            return
        }
        var commits: Set<GitObjectID> = []
        var lastCommit: GitObjectID?
        self.key = key
        var entries: [Fingerprint: Entry] = [:]
        entries.reserveCapacity((bytes.count - Self.headerSize) / Self.entrySize)
        var offset = Self.headerSize
        var damaged = false
        do {
            let raw = bytes
            while offset + Self.entrySize <= bytes.count {
                let entry = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + Self.entrySize])
                offset += Self.entrySize
                var crc = CRC32()
                crc.update(UnsafeRawBufferPointer(rebasing: entry[0..<Self.entrySize - 4]))
                guard crc.value == entry.loadUnaligned(fromByteOffset: Self.entrySize - 4, as: UInt32.self).bigEndian else {
                    damaged = true
                    continue
                }
                let fingerprint = Fingerprint(bytes: UnsafeRawBufferPointer(rebasing: entry[0..<16]))!
                // A commit's entries are appended together: one id (and one set insertion) per run.
                let commit = GitObjectID(bytes: UnsafeRawBufferPointer(rebasing: entry[68..<88]))
                if commit != lastCommit {
                    lastCommit = commit
                    commits.insert(lastCommit!)
                }
                entries[fingerprint] = Entry(contentDigest: SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: entry[16..<48])), blobID: GitObjectID(bytes: UnsafeRawBufferPointer(rebasing: entry[48..<68])),
                                             commit: lastCommit!)
            }
        }
        self.entries = entries
        self.commits = commits
        rewrite = damaged || offset != bytes.count
    }

    /// Records new shards (best effort: the cache only saves work). Appends whole entries, or
    /// writes the file anew when it was missing or damaged.
    public mutating func append(_ new: [(Fingerprint, Entry)]) {
        guard !new.isEmpty || rewrite else { return }
        for (fingerprint, entry) in new {
            entries[fingerprint] = entry
            commits.insert(entry.commit)
        }
        if rewrite {
            var bytes = Self.magic + key.bytes
            for (fingerprint, entry) in entries { Self.encode(fingerprint, entry, into: &bytes) }
            guard let writer = try? AtomicFileWriter(destination: path), (try? writer.write(bytes)) != nil,
                  (try? writer.commit()) != nil else { return }
            rewrite = false
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(new.count * Self.entrySize)
        for (fingerprint, entry) in new { Self.encode(fingerprint, entry, into: &bytes) }
        try? FileSystem.append(bytes, to: path)
    }

    static func encode(_ fingerprint: Fingerprint, _ entry: Entry, into bytes: inout [UInt8]) {
        let start = bytes.count
        bytes += fingerprint.bytes
        entry.contentDigest.withBytes { bytes += $0 }
        entry.blobID.withBytes { bytes += $0 }
        entry.commit.withBytes { bytes += $0 }
        var crc = CRC32()
        bytes.withUnsafeBytes { crc.update(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        withUnsafeBytes(of: crc.value.bigEndian) { bytes += $0 }
    }
}
