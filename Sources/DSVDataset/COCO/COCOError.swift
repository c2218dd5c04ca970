import DSVJSON
import DSVNative

/// Bad input: a file that is not a valid COCO dataset (SPEC §3). Each case names the file and
/// where: `line:column` for syntax, ids and keys for references. Exit code 65 at the CLI.
public enum COCOError: Error, Sendable, Equatable {
    /// Malformed JSON, with its position.
    case syntax(file: String, position: TextPosition, reason: String)
    /// Valid JSON that is not a COCO dataset (no `images`, a top-level array, …).
    case notCOCO(file: String, reason: String)
    /// A COCO rule broken: duplicate ids or keys, a dangling reference, a wrong field type.
    case invalid(file: String, reason: String)
    /// Several exports that cannot be merged into one version.
    case conflict(reason: String)
    /// The file could not be read.
    case unreadable(file: String, reason: String)
}

extension COCOError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .syntax(let file, let position, let reason): "\(file):\(position): invalid JSON: \(reason)"
        case .notCOCO(let file, let reason): "\(file): not a COCO dataset: \(reason)"
        case .invalid(let file, let reason): "\(file): \(reason)"
        case .conflict(let reason): reason
        case .unreadable(let file, let reason): "cannot read \(file): \(reason)"
        }
    }
}
