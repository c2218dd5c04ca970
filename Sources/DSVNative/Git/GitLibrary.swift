import CGit2
import CGit2Shim

/// libgit2 must be initialised once per process before any other call; `git_libgit2_init` is
/// reference counted and thread safe, and we never shut it down (the process exit does).
///
/// Strict hash verification (re-hashing every object read with the collision-detecting SHA-1)
/// is turned off, as in git itself: a checkout reads 10⁵ shard blobs, and their content is
/// checked anyway — zstd frames carry their size, shards their structure. `git fsck` still
/// verifies every object.
///
/// What libgit2 writes — the loose objects of a commit whose sources were still being hashed,
/// the references — is synced to the disk, with its directory, before it is renamed into place
/// (`GIT_OPT_ENABLE_FSYNC_GITDIR`), as dsv's own packs are (`PackStream`): a branch moved just
/// before a power cut names a commit whose objects are all on the disk. A few fsyncs per
/// commit, each of a few kilobytes.
enum GitLibrary {
    static let initialised: Bool = {
        dsv_git_libgit2_init()
        dsv_git_set_strict_hash_verification(0)
        dsv_git_set_fsync_gitdir(1)
        return true
    }()

    @inline(__always) static func ensure() { _ = initialised }
}
