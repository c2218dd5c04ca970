import DSVNative

/// A content cache of downloaded S3 objects, keyed by bucket, key, ETag and version:
/// the same pinned object is downloaded once for every materialization of every version that
/// pins it. An entry appears (by rename) only once its download is complete and verified, so a
/// crash never leaves a partial entry; temporary files of dead processes are swept on open.
///
/// Layout: `ROOT/objects/ab/<rest of sha256 hex>`, `ROOT/tmp/ab/<pid>-<random>`. Temporary
/// files are spread over 256 folders like the entries: ext4 allocates a new file's inode near
/// its folder's, and ten thousand files created in one folder made each creation ~5× dearer.
public struct ObjectCache: Sendable {
    public let root: String

    /// `$XDG_CACHE_HOME/dsv`, else `~/.cache/dsv`.
    public static var defaultRoot: String {
        if let xdg = ProcessEnvironment.value("XDG_CACHE_HOME") { return xdg + "/dsv" }
        return (ProcessEnvironment.value("HOME") ?? ".") + "/.cache/dsv"
    }

    public init(root: String) throws(SystemError) {
        self.root = root
        if !FileSystem.isDirectory(root + "/tmp/ff") {
            for area in ["objects", "tmp"] {
                try FileSystem.createDirectories(root + "/" + area)
                for byte in 0..<256 { try FileSystem.makeDirectory(root + "/" + area + "/" + Self.hexByte(byte)) }
            }
        }
        sweepTemporaries()
    }

    static func hexByte(_ value: Int) -> String { hexString([UInt8(value)]) }

    /// Which object an entry holds. The ETag is part of the key even with a version id: an
    /// entry must never answer for different bytes. The endpoint is not: one store is often
    /// reached by several URLs (a proxy, a VPC endpoint), and bucket, key, ETag and size
    /// together already name the bytes.
    public struct Identity: Sendable, Hashable {
        public let bucket: String
        public let key: String
        public let etag: String
        public let versionID: String?
        /// sha256 of the above, hex: the entry's name. Computed once; the entry, its temporary
        /// file and the admission all need it.
        let digest: String

        public init(bucket: String, key: String, etag: String, versionID: String?) {
            self.bucket = bucket
            self.key = key
            self.etag = etag
            self.versionID = versionID
            digest = hexString(Hasher.digest(.sha256, [bucket, key, etag, versionID ?? ""].joined(separator: "\u{0}")))
        }
    }

    /// The entry's path (whether or not it exists yet).
    public func path(for identity: Identity) -> String {
        let hex = identity.digest
        return "\(root)/objects/\(hex.prefix(2))/\(hex.dropFirst(2))"
    }

    /// The entry's path when it is there with the expected size (a file cut short by a power
    /// loss before the kernel wrote it back is not taken).
    public func entry(for identity: Identity, size: Int64) -> String? {
        let path = path(for: identity)
        guard let status = try? FileStatus.of(path), status.kind == .file, status.size == size else { return nil }
        return path
    }

    /// A fresh temporary path for a download of `identity` in progress.
    public func temporaryPath(for identity: Identity) -> String {
        "\(root)/tmp/\(identity.digest.prefix(2))/\(ProcessEnvironment.processID)-\(UInt64.random(in: 0...UInt64.max))"
    }

    /// Moves a complete, verified download into the cache; returns the entry's path.
    @discardableResult
    public func admit(_ temporary: String, as identity: Identity) throws(SystemError) -> String {
        let path = path(for: identity)
        try FileSystem.rename(temporary, to: path)
        return path
    }

    /// Removes every entry but those of `keeping`. Returns how many entries went and their size.
    /// A materialization running meanwhile loses at worst an entry it would then download again.
    public func prune(keeping: Set<Identity>) -> (removed: Int, bytes: Int, kept: Int) {
        let wanted = Set(keeping.map(\.digest))
        var result = (removed: 0, bytes: 0, kept: 0)
        for byte in 0..<256 {
            let folder = root + "/objects/" + Self.hexByte(byte)
            for name in FileSystem.entries(of: folder) {
                if wanted.contains(Self.hexByte(byte) + name) {
                    result.kept += 1
                    continue
                }
                let path = folder + "/" + name
                result.bytes += FileSystem.fileSize(path)
                FileSystem.remove(path)
                result.removed += 1
            }
        }
        return result
    }

    /// Removes temporary files whose process is gone (killed mid-download).
    private func sweepTemporaries() {
        for byte in 0..<256 {
            let folder = root + "/tmp/" + Self.hexByte(byte)
            for name in FileSystem.entries(of: folder) {
                guard let dash = name.firstIndex(of: "-"), let pid = Int32(name[..<dash]),
                      !ProcessEnvironment.isAlive(pid) else { continue }
                FileSystem.remove(folder + "/" + name)
            }
        }
    }
}
