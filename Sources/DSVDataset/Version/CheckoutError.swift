import DSVNative
import DSVStorage

/// Why a checkout wrote nothing: each case is one line at the CLI, and no destination file is
/// left half-written (the output is renamed into place only once complete).
public enum CheckoutError: Error, Sendable, CustomStringConvertible {
    case repository(RepositoryError)
    case io(SystemError)
    /// A single-file checkout of a version with several subsets, without `--subset`.
    case subsetRequired(available: [String])
    /// A file the checkout would place outside its folder (a symlink on the way, a hostile
    /// subset name), or could not place.
    case output(OutputError)
    /// Subset names whose files would collide.
    case unsafeLayout(String)

    public var description: String {
        switch self {
        case .repository(let error): error.description
        case .io(let error): error.description
        case .subsetRequired(let available):
            "this version has \(available.count) subsets (\(available.joined(separator: ", "))): choose one with --subset NAME, "
                + "or write them all with -o DIR/"
        case .output(let error): error.description
        case .unsafeLayout(let reason): reason
        }
    }
}
