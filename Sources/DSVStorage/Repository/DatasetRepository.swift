import DSVNative

/// A dsv repository: a bare git repository in `DIR/.dsv` holding the dataset's history, with
/// dsv's settings in its git config under `[dsv]`.
public final class DatasetRepository: @unchecked Sendable {
    /// The folder name of a dsv repository inside the user's project folder.
    public static let folderName = ".dsv"
    /// The branch a new repository starts on.
    public static let defaultBranch = "main"

    public let git: GitRepository
    /// The `.dsv` folder.
    public let path: String

    init(git: GitRepository, path: String) {
        self.git = git
        self.path = path
    }

    /// Creates `directory/.dsv`. Refuses when one already exists.
    public static func create(in directory: String) throws(RepositoryError) -> DatasetRepository {
        let path = joinPath(directory, folderName)
        if FileSystem.exists(path) { throw .alreadyExists(path: path) }
        return try RepositoryError.mapping {
            try FileSystem.createDirectories(directory)
            return DatasetRepository(git: try GitRepository.createBare(at: path, initialBranch: defaultBranch), path: path)
        }
    }

    /// Finds the repository in `directory` or the nearest parent that has a `.dsv` folder.
    public static func discover(from directory: String) throws(RepositoryError) -> DatasetRepository {
        guard var current = FileSystem.resolved(directory) else {
            throw .io(SystemError("open directory", path: directory))
        }
        while true {
            let candidate = joinPath(current, folderName)
            if FileSystem.isDirectory(candidate) {
                do { return DatasetRepository(git: try GitRepository.open(at: candidate), path: candidate) }
                catch { throw .git(error) }
            }
            if current == "/" { throw .notARepository(searchedFrom: directory) }
            current = FileSystem.directory(of: current)
        }
    }

    /// Takes the write lock (`.dsv/dsv.lock`), or throws `.locked` when another process has it.
    /// Hold the returned lock for the whole write; the kernel drops it if the process dies.
    ///
    /// With it held, the lock files git keeps for the moment it rewrites a branch, a tag, `HEAD`
    /// or the config (`refs/heads/main.lock`, `config.lock`) can only be left by a dsv process
    /// killed in that moment — dsv writes these only under this lock — and git would refuse
    /// every later update while one is there (a commit killed as it moved the branch made each
    /// commit after it fail, exit 75): they are removed. (Remote-tracking references, which a
    /// pull fetches before it takes the lock, are left alone; a git command writing to `.dsv`
    /// while dsv writes is not supported.) So are the temporary files of writers no longer
    /// running: a commit killed with SIGKILL as it wrote its pack left it, hundreds of
    /// megabytes at train2017's size, until a `dsv gc` (a signal that lets dsv act removes
    /// them at once: `TemporaryFiles`).
    public func lockForWriting() throws(RepositoryError) -> FileLock {
        let lockPath = joinPath(path, "dsv.lock")
        let lock = try RepositoryError.mapping {
            guard let lock = try FileLock.tryAcquire(path: lockPath) else { throw RepositoryError.locked(path: lockPath) }
            return lock
        }
        removeStaleGitLocks()
        FileSystem.removeAbandonedTemporaries(in: packDirectory)
        FileSystem.removeAbandonedTemporaries(in: path)
        return lock
    }

    /// The git lock files a killed writer may have left (see `lockForWriting`).
    func removeStaleGitLocks() {
        for name in ["HEAD.lock", "config.lock", "packed-refs.lock", "logs/HEAD.lock"] { FileSystem.remove(joinPath(path, name)) }
        var folders = ["refs/heads", "refs/tags", "logs/refs/heads", "logs/refs/tags"].map { joinPath(path, $0) }
        while let folder = folders.popLast() {
            for name in FileSystem.entries(of: folder) {
                let entry = joinPath(folder, name)
                if name.hasSuffix(".lock") {
                    FileSystem.remove(entry)
                } else if (try? FileStatus.of(entry))??.kind == .directory {  // not a link followed elsewhere
                    folders.append(entry)
                }
            }
        }
    }

    /// `body` under the write lock (see `lockForWriting`): for the small writes outside a
    /// commit — a tag, a remote, a setting.
    public func withWriteLock<T>(_ body: () throws(RepositoryError) -> T) throws(RepositoryError) -> T {
        let lock = try lockForWriting()
        defer { lock.release() }
        return try body()
    }

    // MARK: Settings

    /// A `dsv.*` setting from the repository's git config, e.g. `setting("images")`.
    public func setting(_ name: String) throws(RepositoryError) -> String? {
        do { return try git.configuration().string("dsv.\(name)") } catch { throw .git(error) }
    }

    public func setSetting(_ name: String, to value: String) throws(RepositoryError) {
        do { try git.configuration().set("dsv.\(name)", to: value) } catch { throw .git(error) }
    }

    // MARK: Branch and revisions

    /// The full name of the current branch, e.g. `refs/heads/main`.
    public func currentBranch() throws(RepositoryError) -> String {
        do { return try git.headBranch() } catch { throw .git(error) }
    }

    /// A branch's name without `refs/heads/` (`main`), as people say it.
    public static func branchName(_ reference: String) -> String {
        reference.hasPrefix("refs/heads/") ? String(reference.dropFirst("refs/heads/".count)) : reference
    }

    /// The commit the current branch points at, or nil before the first version.
    public func head() throws(RepositoryError) -> GitObjectID? {
        do { return try git.referenceTarget(try git.headBranch()) } catch { throw .git(error) }
    }

    /// Resolves a revision in git's syntax to a commit id.
    public func resolve(_ revision: String) throws(RepositoryError) -> GitObjectID {
        do {
            return try git.resolveCommit(revision)
        } catch {
            if revision.hasPrefix("HEAD"), (try? head()) == nil { throw .noVersions }
            if error.isNotFound || error.isAmbiguous || error.isInvalidSpec || error.code == -1 { throw .unknownRevision(revision) }
            throw .git(error)
        }
    }

    /// A version with the name a user gave it (`round7`, `HEAD~1`), for titles.
    public typealias NamedRevision = (name: String, id: GitObjectID)

    /// The two ends of a range as `git diff` reads one — `A..B` compares A with B, `A...B` the
    /// version B's history left A's at with B, an end left out is HEAD — each with the name it
    /// goes by; nil when `spec` is a single revision (`..` is in no ref name git allows).
    public func resolveRange(_ spec: String) throws(RepositoryError) -> (old: NamedRevision, new: NamedRevision)? {
        guard let dots = spec.firstRange(of: "..") else { return nil }
        let fromBase = spec[dots.upperBound...].hasPrefix(".")
        let left = String(spec[..<dots.lowerBound]), right = String(spec[(fromBase ? spec.index(after: dots.upperBound) : dots.upperBound)...])
        let (a, b) = (left.isEmpty ? "HEAD" : left, right.isEmpty ? "HEAD" : right)
        let (old, new) = (try resolve(a), try resolve(b))
        guard fromBase else { return ((a, old), (b, new)) }
        let base: GitObjectID?
        do throws(GitError) { base = try git.mergeBase(old, new) } catch { throw .git(error) }
        guard let base else { throw .noCommonHistory(a, b) }
        return (("merge base of \(a) and \(b)", base), (b, new))
    }

    /// Moves the current branch from `old` to `new` with compare-and-swap. This is the last step
    /// of every commit: before it, the new objects are unreachable and the old version stays HEAD.
    public func advanceBranch(from old: GitObjectID?, to new: GitObjectID, message: String) throws(RepositoryError) {
        let branch = try currentBranch()
        do {
            try git.updateReference(branch, to: new, expecting: old, message: message)
        } catch {
            if error.isLocked { throw .referenceLocked(branch: branch, lockFile: joinPath(path, branch + ".lock")) }
            if error.isConcurrentModification { throw .concurrentUpdate(branch: branch) }
            throw .git(error)
        }
    }

    // MARK: Objects

    /// A pack to write new objects into (see `PackStream`); they are stored on its `finish()`.
    /// With `skippingExisting: false`, objects already stored are written again (a repack).
    public func newPack(skippingExisting: Bool = true) throws(RepositoryError) -> PackStream {
        let database: GitObjectDatabase
        do { database = try git.objectDatabase() } catch { throw .git(error) }
        return try PackStream(database: database, packDirectory: packDirectory, skippingExisting: skippingExisting)
    }

    /// `objects/pack`.
    public var packDirectory: String { joinPath(path, "objects/pack") }

    /// Stores a few small objects the repository lacks as loose files. Returns how many were
    /// written and their size.
    @discardableResult
    public func storeLoose(_ objects: [GitObject]) throws(RepositoryError) -> (objects: Int, bytes: Int) {
        var written = (objects: 0, bytes: 0)
        do {
            let database = try git.objectDatabase()
            for object in objects where !database.contains(object.id) {
                try database.write(type: object.kind.rawValue, content: object.content)
                written.objects += 1
                written.bytes += object.content.count
            }
        } catch { throw .git(error) }
        return written
    }

    // MARK: Tags

    /// Creates a lightweight tag; refuses existing tags and the names `git tag` refuses: not a
    /// valid reference, or one that reads as something else on a command line — an option
    /// (`-x`, which no command could then be given as a revision) or `HEAD`.
    public func createTag(_ name: String, at commit: GitObjectID) throws(RepositoryError) {
        let reference = "refs/tags/\(name)"
        guard !name.hasPrefix("-"), name != "HEAD", GitRepository.isValidReferenceName(reference) else {
            throw .invalidName(name, reason: "not a valid tag name")
        }
        try withWriteLock { () throws(RepositoryError) in
            try RepositoryError.mapping {
                if try git.referenceTarget(reference) != nil { throw RepositoryError.nameTaken(kind: "tag", name: name) }
                do {
                    try git.updateReference(reference, to: commit, expecting: nil, message: "dsv tag \(name)")
                } catch let error as GitError where error.isConcurrentModification {
                    throw RepositoryError.nameTaken(kind: "tag", name: name)
                }
            }
        }
    }

    /// Tags as (name, commit), sorted by name.
    public func tags() throws(RepositoryError) -> [(name: String, commit: GitObjectID)] {
        try RepositoryError.mapping {
            try git.referenceNames(matching: "refs/tags/*").map { reference in
                (String(reference.dropFirst("refs/tags/".count)), try git.resolveCommit(reference))
            }
        }
    }
}

/// Joins two path components with exactly one slash.
public func joinPath(_ base: String, _ component: String) -> String {
    if base.isEmpty { return component }
    return base.hasSuffix("/") ? base + component : base + "/" + component
}
