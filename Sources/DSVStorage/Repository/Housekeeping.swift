import DSVNative

/// Keeps a repository's objects in few files however long its history: every commit adds one
/// pack (and three loose objects when its sources were still being hashed as the pack was
/// finished), and a year of rounds would leave hundreds for every lookup to search.
///
/// - `tidy` (after each commit, as git's auto-gc): packs are kept in a geometric progression —
///   each at least `factor` times the size of all smaller ones together. When a commit's pack
///   breaks it, the small packs that do are merged into one (with the loose objects, which are
///   also merged once there are more than `looseLimit`). As with git's geometric repacking, an
///   object is copied again only when the history has about doubled since it was last written,
///   a large first version is not copied every few rounds, and the number of packs grows with
///   the logarithm of the history's size.
/// - `collect` (`dsv gc`): every object reachable from a reference in one pack; what no
///   reference reaches (a commit that died before moving its branch) is gone.
///
/// Both run under the write lock. The new pack is complete — pack renamed first, index last —
/// before any old file is removed, and an object is only ever removed from one file when it
/// is in another: a kill at any moment leaves every version readable and `git fsck` content.
public enum Housekeeping {
    public struct Report: Sendable, Equatable {
        public var packsBefore = 0, looseBefore = 0, bytesBefore = 0
        public var packsAfter = 0, looseAfter = 0, bytesAfter = 0
        /// Objects written into the new pack.
        public var objectsPacked = 0
    }

    /// A pack file and its size.
    struct Pack {
        var name: String
        var bytes: Int
    }

    public static let looseLimit = 256
    static let factor = 2

    /// After a commit: merges the small packs that break the geometric progression, and the
    /// loose objects once there are too many. Returns nil when there was nothing to do.
    @discardableResult
    public static func tidy(_ repository: DatasetRepository, looseLimit: Int = looseLimit) throws(RepositoryError) -> Report? {
        let packs = self.packs(repository), loose = looseObjects(repository)
        // Largest first: keep each that outweighs all smaller ones `factor` times; merge the rest.
        let sorted = packs.sorted { $0.bytes > $1.bytes }
        var kept = 0, smaller = sorted.reduce(0) { $0 + $1.bytes }
        while kept < sorted.count {
            smaller -= sorted[kept].bytes
            guard sorted[kept].bytes >= factor * smaller else { break }
            kept += 1
        }
        let merged = Array(sorted[kept...])
        guard merged.count >= 2 || loose.count > looseLimit else { return nil }
        var ids = Set(loose)
        for pack in merged { ids.formUnion(try objects(in: pack, of: repository)) }
        return try repack(repository, ids: ids.sorted(), replacing: merged, removingLoose: loose, packsBefore: packs)
    }

    /// `dsv gc`: every object reachable from a reference into one pack, and nothing else left.
    public static func collect(_ repository: DatasetRepository) throws(RepositoryError) -> Report {
        let packs = self.packs(repository), loose = looseObjects(repository)
        return try repack(repository, ids: try reachable(repository), replacing: packs, removingLoose: loose, packsBefore: packs)
    }

    /// Writes `ids` into one new pack, then removes the packs replaced and the loose objects.
    static func repack(_ repository: DatasetRepository, ids: [GitObjectID], replacing old: [Pack], removingLoose loose: [GitObjectID],
                       packsBefore: [Pack]) throws(RepositoryError) -> Report {
        var report = Report(packsBefore: packsBefore.count, looseBefore: loose.count,
                            bytesBefore: packsBefore.reduce(0) { $0 + $1.bytes } + looseBytes(repository, loose))
        let database: GitObjectDatabase
        do { database = try repository.git.objectDatabase() } catch { throw .git(error) }
        let pack = try repository.newPack(skippingExisting: false)
        // Commits, then trees, then blobs: how git orders a pack, and how a reader walks it.
        var byKind: [[GitObject]] = [[], [], []]
        for id in ids {
            let object: (type: UInt8, content: [UInt8])
            do { object = try database.readObject(id) } catch { throw .git(error) }
            guard let kind = GitObjectKind(rawValue: object.type) else { continue }
            let written = GitObject(kind: kind, content: object.content)
            guard written.id == id else { throw .corruptVersion("object \(id.short) does not hash to its id") }
            if kind == .blob { pack.add(written) } else { byKind[Int(kind.rawValue) - 1].append(written) }
        }
        for object in byKind[0] + byKind[1] { pack.add(object) }
        report.objectsPacked = try pack.finish().objects
        // Only now, with every object in the new pack, does anything go.
        for old in old where old.name != pack.name {
            FileSystem.remove(joinPath(repository.packDirectory, old.name + ".idx"))
            FileSystem.remove(joinPath(repository.packDirectory, old.name + ".pack"))
        }
        for id in loose { FileSystem.remove(loosePath(repository, id)) }
        for name in FileSystem.entries(of: repository.packDirectory) where name.hasPrefix("tmp_") || name.hasPrefix(".") {
            if FileSystem.temporaryOwner(name).map({ !ProcessEnvironment.isAlive($0) }) ?? true {
                FileSystem.remove(joinPath(repository.packDirectory, name))
            }
        }
        do { try database.refresh() } catch { throw .git(error) }
        let after = packs(repository)
        report.packsAfter = after.count
        let looseAfter = looseObjects(repository)
        report.looseAfter = looseAfter.count
        report.bytesAfter = after.reduce(0) { $0 + $1.bytes } + looseBytes(repository, looseAfter)
        return report
    }

    /// Every object reachable from the references (branches, tags, remote-tracking branches).
    static func reachable(_ repository: DatasetRepository) throws(RepositoryError) -> [GitObjectID] {
        var seen: Set<GitObjectID> = []
        var order: [GitObjectID] = []
        var commits: [GitObjectID] = []
        do {
            for name in try repository.git.referenceNames(matching: "refs/*") {
                if let target = try repository.git.referenceTarget(name) { commits.append(target) }
            }
            var trees: [GitObjectID] = []
            while let id = commits.popLast() {
                guard seen.insert(id).inserted else { continue }
                order.append(id)
                let commit = try repository.git.commit(id)
                commits += commit.parents
                trees.append(commit.tree)
            }
            while let id = trees.popLast() {
                guard seen.insert(id).inserted else { continue }
                order.append(id)
                for entry in try repository.git.tree(id) {
                    if entry.isTree { trees.append(entry.id) } else if seen.insert(entry.id).inserted { order.append(entry.id) }
                }
            }
        } catch { throw .git(error) }
        return order
    }

    /// The packs (with an index) in `objects/pack`.
    static func packs(_ repository: DatasetRepository) -> [Pack] {
        FileSystem.entries(of: repository.packDirectory).filter { $0.hasPrefix("pack-") && $0.hasSuffix(".idx") }.map { index in
            let name = String(index.dropLast(4))
            return Pack(name: name, bytes: FileSystem.fileSize(joinPath(repository.packDirectory, name + ".pack"))
                                           + FileSystem.fileSize(joinPath(repository.packDirectory, index)))
        }
    }

    /// The ids a pack's index (version 2) lists.
    static func objects(in pack: Pack, of repository: DatasetRepository) throws(RepositoryError) -> [GitObjectID] {
        let bytes: [UInt8]
        do { bytes = try FileSystem.read(joinPath(repository.packDirectory, pack.name + ".idx")) } catch { throw .io(error) }
        return try bytes.withUnsafeBytes { buffer in
            Result { () throws(RepositoryError) -> [GitObjectID] in
                guard let reader = PackIndex.Reader(buffer) else {
                    throw .corruptVersion("\(pack.name).idx is not a version-2 pack index")
                }
                guard reader.hasIDs else { throw .corruptVersion("\(pack.name).idx is cut short") }
                return (0..<reader.count).map(reader.id)
            }
        }.get()
    }

    /// The loose objects (`objects/xx/…`).
    static func looseObjects(_ repository: DatasetRepository) -> [GitObjectID] {
        var ids: [GitObjectID] = []
        let objects = joinPath(repository.path, "objects")
        for folder in looseFolders(in: objects) {
            for name in FileSystem.entries(of: joinPath(objects, folder)) where name.count == 38 && name.allSatisfy(\.isHexDigit) {
                if let id = GitObjectID(hex: folder + name) { ids.append(id) }
            }
        }
        return ids
    }

    /// The fan-out folders of an `objects` folder (`3f`, named by the ids' first byte), where
    /// its loose objects are.
    static func looseFolders(in objects: String) -> [String] {
        FileSystem.entries(of: objects).filter { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }

    static func loosePath(_ repository: DatasetRepository, _ id: GitObjectID) -> String {
        let hex = id.hex
        return joinPath(repository.path, "objects/\(hex.prefix(2))/\(hex.dropFirst(2))")
    }

    static func looseBytes(_ repository: DatasetRepository, _ ids: [GitObjectID]) -> Int {
        ids.reduce(0) { $0 + FileSystem.fileSize(loosePath(repository, $1)) }
    }
}
