import DSVNative

/// Sharing history through git remotes: any git server holds a dsv history, and the images
/// stay in S3. Push and pull move the current branch only by fast-forward unless forced; a
/// diverged history is reported, never merged or overwritten.
extension DatasetRepository {
    public func remotes() throws(SharingError) -> [GitRemoteInfo] {
        do { return try git.remotes() } catch { throw .repository(.git(error)) }
    }

    public func addRemote(name: String, url: String) throws(SharingError) {
        guard GitRepository.isValidRemoteName(name) else { throw .repository(.invalidName(name, reason: "not a valid remote name")) }
        let lock: FileLock
        do { lock = try lockForWriting() } catch { throw .repository(error) }
        defer { lock.release() }
        if try remotes().contains(where: { $0.name == name }) { throw .repository(.nameTaken(kind: "remote", name: name)) }
        do { try git.addRemote(name: name, url: url) } catch { throw .repository(.git(error)) }
    }

    /// The remote's URL, or `unknownRemote`.
    func remoteURL(_ name: String) throws(SharingError) -> String {
        let all = try remotes()
        guard let remote = all.first(where: { $0.name == name }) else { throw .unknownRemote(name, known: all.map(\.name)) }
        return remote.url
    }

    public enum PushOutcome: Sendable, Equatable {
        case upToDate(GitObjectID)
        case pushed(from: GitObjectID?, to: GitObjectID, forced: Bool)
    }

    /// Pushes the current branch (and with `tags`, every tag) to `remote`. A push that would
    /// drop versions the remote has is refused unless `force`.
    public func push(to remote: String, tags: Bool, force: Bool,
                     progress: ((GitTransferProgress) -> Void)? = nil) throws(SharingError) -> PushOutcome {
        let url = try remoteURL(remote)
        let branch: String, head: GitObjectID?
        do { (branch, head) = (try currentBranch(), try self.head()) } catch { throw .repository(error) }
        guard let local = head else { throw .repository(.noVersions) }
        let theirs: GitObjectID?
        do { theirs = try git.remoteReferences(remote, progress: progress)[branch] } catch { throw .transport(url, error) }
        var refspecs: [String] = []
        if theirs != local {
            if let theirs, !force, try !isFastForward(from: theirs, to: local) {
                throw .pushRejected(remote: remote, branch: Self.branchName(branch), theirs: theirs, ours: local)
            }
            refspecs.append("\(force ? "+" : "")\(branch):\(branch)")
        }
        if tags {
            do { refspecs += try git.referenceNames(matching: "refs/tags/*").map { "\($0):\($0)" } } catch { throw .repository(.git(error)) }
        }
        if !refspecs.isEmpty {
            do { try git.push(remote: remote, refspecs: refspecs, progress: progress) } catch {
                if error.isNonFastForward { throw .pushRejected(remote: remote, branch: Self.branchName(branch), theirs: theirs, ours: local) }
                throw .transport(url, error)
            }
        }
        return theirs == local ? .upToDate(local) : .pushed(from: theirs, to: local, forced: force && theirs != nil)
    }

    public enum PullOutcome: Sendable, Equatable {
        case upToDate(GitObjectID)
        /// This repository has versions the remote does not: nothing to take.
        case ahead(GitObjectID)
        case fastForwarded(from: GitObjectID?, to: GitObjectID)
    }

    /// Fetches `remote` and fast-forwards the current branch to the remote's. Diverged
    /// histories change nothing and are reported with both heads.
    ///
    /// The fetch runs under the write lock too: its pack lands before the remote-tracking
    /// reference that makes its objects reachable, and a `dsv gc` in between (which keeps only
    /// what a reference reaches) would delete it, leaving that reference — and the branch
    /// fast-forwarded to it — naming a commit the repository no longer has.
    public func pull(from remote: String, progress: ((GitTransferProgress) -> Void)? = nil) throws(SharingError) -> PullOutcome {
        let url = try remoteURL(remote)
        let branch: String
        do { branch = try currentBranch() } catch { throw .repository(error) }
        let lock: FileLock
        do { lock = try lockForWriting() } catch { throw .repository(error) }
        defer { lock.release() }
        do {
            try git.fetch(remote: remote, refspecs: ["+refs/heads/*:refs/remotes/\(remote)/*"], progress: progress)
        } catch { throw .transport(url, error) }
        let tracking = "refs/remotes/\(remote)/\(Self.branchName(branch))"
        let target: GitObjectID?
        do { target = try git.referenceTarget(tracking) } catch { throw .repository(.git(error)) }
        guard let theirs = target else { throw .noRemoteBranch(remote: remote, branch: Self.branchName(branch)) }
        let local: GitObjectID?
        do { local = try head() } catch { throw .repository(error) }
        if local == theirs { return .upToDate(theirs) }
        if let local, try isFastForward(from: theirs, to: local) { return .ahead(local) }
        if let local, try !isFastForward(from: local, to: theirs) {
            throw .diverged(branch: Self.branchName(branch), remote: remote, ours: local, theirs: theirs)
        }
        do { try advanceBranch(from: local, to: theirs, message: "dsv pull \(remote)") } catch { throw .repository(error) }
        return .fastForwarded(from: local, to: theirs)
    }

    /// Clones `url` into `directory/.dsv`. A local project folder (one with a `.dsv`) may be
    /// named instead of its repository. A failed clone leaves nothing behind.
    public static func clone(from url: String, into directory: String,
                             progress: ((GitTransferProgress) -> Void)? = nil) throws(SharingError) -> DatasetRepository {
        let path = joinPath(directory, folderName)
        if FileSystem.exists(path) { throw .repository(.alreadyExists(path: path)) }
        var source = url
        if !url.contains("://"), FileSystem.isDirectory(joinPath(url, folderName)) { source = joinPath(url, folderName) }
        let createdDirectory = !FileSystem.exists(directory)
        let repository: DatasetRepository
        do {
            repository = DatasetRepository(git: try GitRepository.cloneBare(from: source, to: path, progress: progress), path: path)
        } catch {
            FileSystem.removeTree(createdDirectory ? directory : path)
            throw .transport(url, error)
        }
        do { try repository.checkOutRemoteBranch() } catch { throw .repository(error) }
        return repository
    }

    /// After a clone from a server whose HEAD names no branch (a bare repository made by
    /// `git init --bare` points at an unborn `master`): the current branch becomes `main` from
    /// `origin/main`, or the remote's only branch.
    func checkOutRemoteBranch() throws(RepositoryError) {
        guard try head() == nil else { return }
        try RepositoryError.mapping {
            let branches = try git.referenceNames(matching: "refs/remotes/origin/*").filter { !$0.hasSuffix("/HEAD") }
            let preferred = "refs/remotes/origin/\(Self.defaultBranch)"
            guard let chosen = branches.contains(preferred) ? preferred : (branches.count == 1 ? branches[0] : nil),
                  let target = try git.referenceTarget(chosen) else { return }
            let local = "refs/heads/" + chosen.dropFirst("refs/remotes/origin/".count)
            try git.updateReference(local, to: target, expecting: nil, message: "dsv clone")
            try git.setHead(local)
        }
    }

    /// Whether `to` contains `from` in its history; false when `from` is not even here.
    func isFastForward(from: GitObjectID, to: GitObjectID) throws(SharingError) -> Bool {
        do {
            guard try git.objectDatabase().contains(from) else { return false }
            return try git.isDescendant(to, of: from)
        } catch { throw .repository(.git(error)) }
    }



    /// The folder `dsv clone URL` makes when none is given: the URL's last component without
    /// `.git`, or the project folder's name for `…/project/.dsv`.
    public static func cloneDirectoryName(for url: String) -> String {
        var components = url.split(whereSeparator: { $0 == "/" || $0 == ":" }).map(String.init)
        while let last = components.last, last == folderName || last == ".git" || last.isEmpty { components.removeLast() }
        var name = components.last ?? "dataset"
        for suffix in [".git", ".dsv"] where name.hasSuffix(suffix) && name.count > suffix.count { name.removeLast(suffix.count) }
        return name
    }
}

/// What can go wrong sharing history.
public enum SharingError: Error, Sendable, CustomStringConvertible {
    case unknownRemote(String, known: [String])
    case noRemoteBranch(remote: String, branch: String)
    /// The remote's branch has versions this repository lacks (a push would drop them).
    case pushRejected(remote: String, branch: String, theirs: GitObjectID?, ours: GitObjectID)
    case diverged(branch: String, remote: String, ours: GitObjectID, theirs: GitObjectID)
    /// The remote could not be reached, refused the credentials, or broke off.
    case transport(String, GitError)
    case repository(RepositoryError)

    public var description: String {
        switch self {
        case .unknownRemote(let name, let known):
            "no remote '\(name)'" + (known.isEmpty ? "; add one with 'dsv remote add \(name) URL'" : " (remotes: \(known.joined(separator: ", ")))")
        case .noRemoteBranch(let remote, let branch):
            "'\(remote)' has no branch \(branch) yet; push to it first"
        case .pushRejected(let remote, let branch, let theirs, let ours):
            "push refused: \(remote)/\(branch) (\(theirs?.short ?? "?")) has versions that \(branch) (\(ours.short)) does not contain; "
                + "run 'dsv pull \(remote)' first, or 'dsv push --force' to discard them on the remote"
        case .diverged(let branch, let remote, let ours, let theirs):
            "\(branch) (\(ours.short)) and \(remote)/\(branch) (\(theirs.short)) have diverged; nothing was changed"
        case .transport(let url, let error):
            "\(GitRepository.redactedURL(url)): \(error.message)"
        case .repository(let error):
            error.description
        }
    }
}
