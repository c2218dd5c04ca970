import DSVNative

/// Writes objects into the repository as one pack and its index, rather than as loose files:
/// 10⁵ loose objects cost a file (and a 4 KB block) each, a pack costs two files.
///
/// Objects are written as they come — a commit hands each shard over as soon as it is
/// compressed — so a version's blobs never sit in memory all at once (130 MB for a
/// train2017-sized first commit). The object count in the pack's header is filled in at the end
/// and the pack's checksum taken by reading the file back from the page cache.
///
/// dsv writes the `.pack` and the `.idx` (version 2) itself: it already knows every object's id,
/// so the work libgit2's indexer would repeat — inflating each object and hashing it again with
/// its collision-detecting SHA-1 — is skipped. Object bodies are zlib *stored* blocks (no
/// compression): shards are already zstd-compressed. Both files are written under temporary
/// names; the pack is renamed into place first and the index last, and git ignores a pack
/// without an index, so a crash leaves either the whole pack usable or nothing that matters.
/// Objects already in the database are skipped, so an unchanged shard costs nothing.
public final class PackStream: @unchecked Sendable {
    private struct State {
        var file: AtomicFileWriter?
        var entries: [(id: GitObjectID, crc: UInt32, offset: UInt64)] = []
        var seen: Set<GitObjectID> = []
        var offset: UInt64 = 12
        var scratch: [UInt8] = []
        /// The first failure; `finish()` reports it.
        var failure: SystemError?
    }

    private let database: GitObjectDatabase
    /// What `database` holds, asked cheaply (nil where the shortcut does not apply: a
    /// repository with alternates, or a pack that writes every object again).
    private let existing: ExistingObjects?
    private let directory: String
    /// Whether objects the database already holds are left out (a commit), or written again
    /// (a repack, which moves them out of the files it will delete).
    private let skippingExisting: Bool
    private let lock = Lock()
    /// Guarded by `lock`.
    private var state: State

    /// A pack to be written into `packDirectory` (the repository's `objects/pack`), skipping
    /// what `database` already holds unless `skippingExisting` is false.
    public init(database: GitObjectDatabase, packDirectory: String, skippingExisting: Bool = true) throws(RepositoryError) {
        do { try database.refresh() } catch { throw .git(error) }
        self.database = database
        existing = skippingExisting ? ExistingObjects(objectsFolder: FileSystem.directory(of: packDirectory)) : nil
        directory = packDirectory
        self.skippingExisting = skippingExisting
        let file: AtomicFileWriter
        do {
            file = try AtomicFileWriter(destination: joinPath(packDirectory, "tmp_pack_dsv"))
            try file.write([UInt8](repeating: 0, count: 12))  // the header, once the count is known
        } catch { throw .io(error) }
        state = State(file: file)
    }

    /// Writes `object` unless the pack or the database already has it; from any thread. A
    /// failure to write is reported by `finish()`.
    public func add(_ object: GitObject) {
        lock.withLock {
            guard state.failure == nil, let file = state.file, state.seen.insert(object.id).inserted,
                  !skippingExisting || !contains(object.id) else { return }
            state.scratch.removeAll(keepingCapacity: true)
            Self.appendObjectHeader(kind: object.kind, size: object.content.count, to: &state.scratch)
            StoredDeflate.append(object.content, to: &state.scratch)
            var crc = CRC32()
            crc.update(state.scratch[...])
            state.entries.append((object.id, crc.value, state.offset))
            state.offset += UInt64(state.scratch.count)
            do throws(SystemError) { try file.write(state.scratch) } catch { state.failure = error }
        }
    }

    /// Whether the database holds the object: in a pack, or loose when the fan-out folder it
    /// would be in exists. A commit's new objects are held by neither, and a full database
    /// would look for each as a loose file (half a millisecond per hundred of them on this
    /// project's machine, in the lock, where a 10k-image round adds about 200).
    private func contains(_ id: GitObjectID) -> Bool {
        guard let existing else { return database.contains(id, refresh: false) }
        if existing.packs.contains(id, refresh: false) { return true }
        return existing.looseFolders.contains(id.firstByte) && database.contains(id, refresh: false)
    }

    /// The packs of a repository's `objects` folder as they were when the pack was begun, and
    /// the fan-out folders (`objects/3f`) loose objects could be in. The write lock a commit
    /// holds keeps other writers out meanwhile; an object missed would only be stored twice.
    struct ExistingObjects {
        let packs: GitObjectDatabase
        /// First bytes of the ids whose folder exists.
        let looseFolders: Set<UInt8>

        init?(objectsFolder: String) {
            guard !FileSystem.exists(joinPath(objectsFolder, "info/alternates")),
                  let packs = try? GitObjectDatabase.packs(inObjectsFolder: objectsFolder) else { return nil }
            self.packs = packs
            looseFolders = Set(Housekeeping.looseFolders(in: objectsFolder).compactMap { UInt8($0, radix: 16) })
        }
    }

    /// Objects written so far.
    public var count: Int { lock.withLock { state.entries.count } }

    /// The bulk of the pack is written (a version's shards): the kernel starts putting it on
    /// the disk while the rest is made, rather than all of it in `finish()`'s sync (1.6 of a
    /// next round's 3 ms of syncs at 10k images, on this project's machine).
    public func startSyncing() {
        lock.withLock {
            guard state.failure == nil, let file = state.file, !state.entries.isEmpty else { return }
            do throws(SystemError) { try file.startSyncing() } catch { state.failure = error }
        }
    }

    /// The pack's name (`pack-<checksum>`) once `finish()` wrote one.
    public private(set) var name: String?

    /// Completes the pack and its index and moves them into place. Returns how many objects
    /// were written and the pack's size in bytes (nothing at all when no object was new).
    @discardableResult
    public func finish() throws(RepositoryError) -> (objects: Int, bytes: Int) {
        let result = lock.withLock { () -> Result<(objects: Int, bytes: Int), SystemError> in
            defer { state.file = nil }
            if let failure = state.failure { return .failure(failure) }
            guard let file = state.file, !state.entries.isEmpty else { return .success((0, 0)) }
            return Result { () throws(SystemError) in
                var header: [UInt8] = Array("PACK".utf8)
                PackIndex.append32(2, &header)
                PackIndex.append32(UInt32(state.entries.count), &header)
                try file.patch(header, at: 0)
                let trailer = Hasher(.sha1)
                try file.readBack { trailer.update($0) }
                let checksum = trailer.finish()
                try file.write(checksum)
                let name = "pack-" + hexString(checksum)
                let index = try AtomicFileWriter(destination: joinPath(directory, "tmp_idx_dsv"))
                try index.write(PackIndex.encode(entries: state.entries, packChecksum: checksum))
                // On the disk, names included, before anything refers to them: a power cut
                // after the branch moves must not find the pack missing (git syncs its packs too).
                // Both names are synced by one sync of their folder, after both renames.
                try file.commit(as: joinPath(directory, name + ".pack"), sync: true, syncingDirectory: false)
                try index.commit(as: joinPath(directory, name + ".idx"), sync: true, syncingDirectory: false)
                try FileSystem.syncDirectory(directory)
                self.name = name
                return (state.entries.count, Int(state.offset) + checksum.count)
            }
        }
        do { return try result.get() } catch { throw .io(error) }
    }

    /// Pack object header: type in bits 4–6 of the first byte, size in 4 + 7·n bits.
    private static func appendObjectHeader(kind: GitObjectKind, size: Int, to buffer: inout [UInt8]) {
        var remaining = size >> 4
        var byte = UInt8(kind.rawValue << 4) | UInt8(size & 0x0F)
        while remaining > 0 {
            buffer.append(byte | 0x80)
            byte = UInt8(remaining & 0x7F)
            remaining >>= 7
        }
        buffer.append(byte)
    }
}

/// A zlib stream (RFC 1950) made of stored deflate blocks (RFC 1951 §3.2.4): the data as it is,
/// framed, with its Adler-32.
enum StoredDeflate {
    static func append(_ data: [UInt8], to out: inout [UInt8]) {
        out.append(0x78)
        out.append(0x01)
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out.append(final)
            out.append(UInt8(length & 0xFF))
            out.append(UInt8(length >> 8))
            out.append(UInt8(~length & 0xFF))
            out.append(UInt8((~length >> 8) & 0xFF))
            out.append(contentsOf: data[offset..<offset + length])
            offset += length
        } while offset < data.count
        var checksum = Adler32()
        data.withUnsafeBytes { checksum.update($0) }
        let adler = checksum.value
        out.append(UInt8(adler >> 24))
        out.append(UInt8(adler >> 16 & 0xFF))
        out.append(UInt8(adler >> 8 & 0xFF))
        out.append(UInt8(adler & 0xFF))
    }
}
