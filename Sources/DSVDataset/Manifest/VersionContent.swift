import DSVNative
import DSVStorage

/// Everything a version stores, ready to be written as git objects: `dataset.json`, the header,
/// the order stream and the shards, each compressed deterministically.
public struct VersionContent: Sendable {
    /// How every compressed object is compressed: zstd level 1, matches of 7 bytes or more (see
    /// `ZstdSettings`). Changing it changes the id of every object written after; a commit that
    /// does not know the previous version's shards from its cache still recognises them by
    /// their content (`PreviousShards`), so a round after the change writes what changed.
    public static let compression = ZstdSettings(level: 1, minimumMatch: 7)

    public struct Shard: Sendable {
        public var number: Int
        /// SHA-256 of the uncompressed shard: what the manifest digest covers. Nil for a shard
        /// only encoded to be compared (a status has no manifest).
        public var contentDigest: SHA256Digest?
        /// Nil for a shard a build that stores nothing (a status) did not know: it is encoded
        /// only when compared (`encoder`), and never compressed.
        public var blobID: GitObjectID?
        /// The compressed blob to store; nil when the repository already holds it, or when it
        /// went straight into the commit's pack.
        public var blob: GitObject?
        /// The content's fingerprint under the shard cache's key, when there is a cache.
        public var fingerprint: Fingerprint?
        /// Encoded by this build: the shard cache did not know it.
        public var isNew: Bool
    }

    /// The version's shards as shard cache entries, once `commit` stores them: those the cache
    /// did not know (`onlyNew`, to append), or all (to cut the cache down to this version).
    public func cacheEntries(in commit: GitObjectID, onlyNew: Bool) -> [(Fingerprint, ShardCache.Entry)] {
        shards.compactMap { shard in
            guard !onlyNew || shard.isNew, let fingerprint = shard.fingerprint, let blobID = shard.blobID,
                  let contentDigest = shard.contentDigest else { return nil }
            return (fingerprint, ShardCache.Entry(contentDigest: contentDigest, blobID: blobID, commit: commit))
        }
    }

    /// A subset's own objects: its header and its order stream.
    public struct SubsetObjects: Sendable {
        public var subset: Subset
        public var header: [UInt8]
        /// Empty in content built only to be compared (`VersionBuilder.build(storing: false)`).
        public var order: [UInt8]
        /// Both compressed as they are stored, made where they are (beside the shards in a next
        /// round); nil in content built only to be compared.
        public var blobs: (header: GitObject, order: GitObject)?
    }

    public var summary: DatasetSummary
    /// In the order of their names.
    public var subsets: [SubsetObjects]
    public var shards: [Shard]
    /// How content built only to be compared encodes the shards it did not know (those without
    /// a blob id), from the exports' bytes, which it needs until then; nil in content to store.
    public var encoder: ShardEncoder? = nil

    /// Each byte's two lowercase hex digits, the first in the low byte: stored as they read.
    private static let hexPairs: [UInt16] = (0..<256).map { byte in
        UInt16(ShardLayout.hexDigits[byte >> 4]) | UInt16(ShardLayout.hexDigits[byte & 15]) << 8
    }

    /// `sha256:<hex>` over the canonical (uncompressed) content: each subset's header and order
    /// stream, and every shard by its place in the layout. Independent of compression and of how the export was
    /// formatted. The default subset has no name line, so a version without subsets has the
    /// digest it always had.
    public static func digest(subsets: [SubsetObjects], shards: [Shard], layout: ShardLayout) -> String {
        // The text is built as bytes: it has a line per shard, 10⁵ of them.
        let hex = ShardLayout.hexDigits
        var text: [UInt8] = Array("dsv manifest \(layout.format)\n".utf8)
        if layout.format > 1 { text += Array("shard bits \(layout.bits)\n".utf8) }
        // "shard " dd rest " " digest "\n"
        let lineLength = 74 + layout.nameDigits
        text.reserveCapacity(shards.count * lineLength + 200)
        func appendHex<C: Collection<UInt8>>(_ bytes: C) {
            for byte in bytes {
                text.append(hex[Int(byte >> 4)])
                text.append(hex[Int(byte & 15)])
            }
        }
        for subset in subsets {
            if !subset.subset.isDefault {
                text += Array("subset ".utf8)
                appendHex(Array(subset.subset.name.utf8))
                text.append(UInt8(ascii: "\n"))
            }
            text += Array("header ".utf8)
            appendHex(Hasher.digest(.sha256, subset.header))
            text += Array("\norder ".utf8)
            appendHex(Hasher.digest(.sha256, subset.order))
            text.append(UInt8(ascii: "\n"))
        }
        // One fixed-width line per shard, written in place: appended byte by byte, the 10⁵
        // lines cost more than hashing them.
        let start = text.count
        text.append(contentsOf: repeatElement(0, count: shards.count * lineLength))
        text.withUnsafeMutableBufferPointer { buffer in
            // A byte's two hex digits stored at once (a 118k-image version's lines took 6 ms
            // digit by digit).
            hexPairs.withUnsafeBufferPointer { pairs in
                var out = UnsafeMutableRawPointer(buffer.baseAddress! + start)
                for shard in shards {
                    for byte in "shard ".utf8 { out.storeBytes(of: byte, as: UInt8.self); out += 1 }
                    out.storeBytes(of: pairs[layout.directory(of: shard.number)].littleEndian, as: UInt16.self)
                    out += 2
                    for digit in (0..<layout.nameDigits).reversed() {
                        out.storeBytes(of: hex[(shard.number >> (4 * digit)) & 15], as: UInt8.self)
                        out += 1
                    }
                    out.storeBytes(of: UInt8(ascii: " "), as: UInt8.self)
                    out += 1
                    guard let digest = shard.contentDigest else { preconditionFailure("the manifest of shards only encoded") }
                    digest.withBytes { bytes in
                        for byte in bytes {
                            out.storeBytes(of: pairs[Int(byte)].littleEndian, as: UInt16.self)
                            out += 2
                        }
                    }
                    out.storeBytes(of: UInt8(ascii: "\n"), as: UInt8.self)
                    out += 1
                }
            }
        }
        return "sha256:" + hexString(Hasher.digest(.sha256, text))
    }

    /// The git objects of the version, but for `dataset.json` and the root tree: new shard
    /// blobs, the `shards/xx` trees, `shards/`, the subsets' header and order blobs and their
    /// trees — none depends on `summary.sources`, so they are made (and stored) while the
    /// sources' SHA-256 may still be computing. Also the root tree's entries besides
    /// `dataset.json`. Tree layout: `dataset.json`, `header.zst` and `order.zst` of the default
    /// subset, `subsets/<name>/{header,order}.zst` of the others, `shards/<dd>/<rest>` (`ShardLayout`).
    public func objectsBelowRoot() -> (objects: [GitObject], rootEntries: [GitObject.TreeEntry]) {
        var objects: [GitObject] = []
        // By the shard number's first 8 bits; the shards come in ascending order, as a tree wants
        // its entries (names of one length in hex sort as their numbers do).
        let layout = summary.shardLayout
        var shardEntries: [GitObject.TreeEntry] = []
        var builder = GitObject.TreeBuilder(capacity: 2 * shards.count / 256 + 16)
        var directory = 0
        func closeDirectory() {
            guard !builder.isEmpty else { return }
            let tree = builder.finish()
            objects.append(tree)
            shardEntries.append(GitObject.TreeEntry(name: ShardLayout.hexByte(directory), id: tree.id, isTree: true))
        }
        var previous = -1
        for shard in shards {
            guard let id = shard.blobID else { preconditionFailure("storing a version built not to be stored") }
            precondition(shard.number > previous, "shards out of order")
            previous = shard.number
            if let blob = shard.blob { objects.append(blob) }
            let shardDirectory = layout.directory(of: shard.number)
            if shardDirectory != directory {
                closeDirectory()
                directory = shardDirectory
            }
            layout.withName(shard.number) { builder.appendBlob(named: $0, id: id) }
        }
        closeDirectory()
        let shardsTree = GitObject.tree(shardEntries)
        objects.append(shardsTree)
        var root = [GitObject.TreeEntry(name: "shards", id: shardsTree.id, isTree: true)]
        var named: [GitObject.TreeEntry] = []
        for subset in subsets {
            guard let (headerBlob, orderBlob) = subset.blobs else { preconditionFailure("storing a version built not to be stored") }
            objects += [headerBlob, orderBlob]
            let entries = [GitObject.TreeEntry(name: StoredVersion.headerFile, id: headerBlob.id, isTree: false),
                           GitObject.TreeEntry(name: StoredVersion.orderFile, id: orderBlob.id, isTree: false)]
            if subset.subset.isDefault {
                root += entries
            } else {
                let tree = GitObject.tree(entries)
                objects.append(tree)
                named.append(GitObject.TreeEntry(name: subset.subset.name, id: tree.id, isTree: true))
            }
        }
        if !named.isEmpty {
            let subsetsTree = GitObject.tree(named)
            objects.append(subsetsTree)
            root.append(GitObject.TreeEntry(name: StoredVersion.subsetsFolder, id: subsetsTree.id, isTree: true))
        }
        return (objects, root)
    }

    /// `dataset.json` (the summary, sources included) and the root tree, last.
    public func rootObjects(besides entries: [GitObject.TreeEntry]) -> [GitObject] {
        let summaryBlob = GitObject(kind: .blob, content: summary.encoded)
        let root = GitObject.tree([GitObject.TreeEntry(name: "dataset.json", id: summaryBlob.id, isTree: false)] + entries)
        return [summaryBlob, root]
    }
}
