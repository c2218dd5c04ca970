import DSVNative

/// What can go wrong in the repository layer. The CLI turns each case into one line and an
/// exit code (SPEC §8).
public enum RepositoryError: Error, Sendable {
    /// No `.dsv` in the directory or any parent.
    case notARepository(searchedFrom: String)
    /// `dsv init` where a repository already exists.
    case alreadyExists(path: String)
    /// Another process holds the write lock.
    case locked(path: String)
    /// The branch moved while we were writing (a writer that did not take the lock).
    case concurrentUpdate(branch: String)
    /// Another process (a git command, not dsv) was rewriting the branch: its lock file exists.
    case referenceLocked(branch: String, lockFile: String)
    /// A revision that names no commit.
    case unknownRevision(String)
    /// `A...B` where the two histories never meet.
    case noCommonHistory(String, String)
    /// A subset the version does not have, with those it has.
    case unknownSubset(String, available: [String])
    /// The branch has no commit yet.
    case noVersions
    /// A tag or branch name git would not accept.
    case invalidName(String, reason: String)
    /// A tag or remote that already exists under that name (`kind`: "tag", "remote").
    case nameTaken(kind: String, name: String)
    /// A commit that is not a dsv version, or a version whose objects are missing or corrupt.
    case corruptVersion(String)
    case git(GitError)
    case io(SystemError)
}

extension RepositoryError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notARepository(let directory):
            "not a dsv repository (or any parent up to /): \(directory); run 'dsv init' first"
        case .alreadyExists(let path): "a dsv repository already exists at \(path)"
        case .locked(let path): "another dsv process holds the lock (\(path)); try again when it has finished"
        case .concurrentUpdate(let branch): "\(branch) moved while this commit was written; nothing was changed"
        case .referenceLocked(let branch, let lockFile):
            "another process is writing \(branch) (\(lockFile) exists); nothing was changed: try again when it has finished"
        case .unknownRevision(let revision): "unknown revision '\(revision)'"
        case .noCommonHistory(let a, let b): "'\(a)' and '\(b)' share no history: there is no version to compare from"
        case .unknownSubset(let name, let available):
            "this version has no subset \(name); its subsets: \(available.joined(separator: ", "))"
        case .noVersions: "no versions yet; run 'dsv commit EXPORT -m MESSAGE' first"
        case .invalidName(let name, let reason): "invalid name '\(name)': \(reason)"
        case .nameTaken(let kind, let name): "\(kind) '\(name)' already exists"
        case .corruptVersion(let detail): "corrupt version: \(detail)"
        case .git(let error): error.description
        case .io(let error): error.description
        }
    }
}

extension RepositoryError {
    /// Runs `body`, turning the lower layers' errors into this layer's: the one place where
    /// `GitError` and `SystemError` become repository errors.
    public static func mapping<T>(_ body: () throws -> T) throws(RepositoryError) -> T {
        do {
            return try body()
        } catch let error as RepositoryError {
            throw error
        } catch let error as GitError {
            throw .git(error)
        } catch let error as SystemError {
            throw .io(error)
        } catch {
            throw .corruptVersion("\(error)")
        }
    }
}
