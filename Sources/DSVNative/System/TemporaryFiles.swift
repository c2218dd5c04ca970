import CProcess
import Glibc

/// Temporary files and folders that a signal ending the process removes first — Ctrl-C, `kill`,
/// a terminal closed — as git removes its own: a checkout interrupted as it wrote left a hidden
/// 380 MB file beside its output, a commit its half-written pack. Each is registered while it
/// exists under its temporary name, and forgotten once renamed into place or removed.
/// (SIGKILL runs nothing: what it leaves in a repository the next writer removes —
/// `DatasetRepository.lockForWriting` — the object cache sweeps its own, and a hidden file
/// beside a checkout's output stays, named for the process that wrote it.)
public enum TemporaryFiles {
    /// A path registered, to forget once it is renamed into place or removed.
    public struct Registration: Sendable {
        /// The C table's slot and how many times it was claimed (`dsv_temporary_register`).
        fileprivate let slot: Int32
    }

    /// Has a signal that ends the process remove `path` — with `folder`, a folder and all it
    /// holds — before the process ends. Register before creating the path: a signal between
    /// the two only finds nothing to remove.
    public static func register(_ path: String, folder: Bool = false) -> Registration {
        Registration(slot: dsv_temporary_register(path, folder ? 1 : 0))
    }

    /// Forgets a registration; again, or after its path was registered anew, it changes nothing.
    public static func forget(_ registration: Registration) {
        dsv_temporary_forget(registration.slot)
    }

    /// Whether `registration` is registered and not forgotten.
    public static func isRegistered(_ registration: Registration) -> Bool {
        dsv_temporary_is_registered(registration.slot) != 0
    }
}
