import DSVNative
import DSVStorage

/// The SHA-256 of a commit's exports, started before its command line is parsed.
///
/// `dataset.json` records each source file's SHA-256: for a 10k-image export of 32 MB, 18 ms of
/// one core — more than a quarter of a next round's work. Parsing the arguments (the argument
/// parser's first protocol-conformance lookups) takes about 2 ms with the other core idle, and
/// the hashing may as well begin there. So `commit` hands its raw arguments here first: those
/// that name existing regular files are guesses at its exports (an option's value that happens
/// to name a file is one more guess), mapped and hashed on an idle-class thread
/// (`BackgroundDigests`). `ExportInput.open` adopts the work when its loose files are exactly
/// those files, in that order, and cancels it otherwise. A guess never reads a pipe or a device
/// (only regular files are mapped) and decides nothing: what is committed is what the parsed
/// command line names. (A 10k-image next round, medians of alternating runs: 45.6 → 44.5 ms
/// over 25, 45.3 → 44.7 over 41, 45.7 → 44.8 over 61 — and 43.2 → 43.9 over 31: about half a
/// millisecond, near the host's noise.)
public final class ExportPrefetch: Sendable {
    let paths: [String]
    let mappings: [FileMapping]
    let digests: BackgroundDigests

    private init(paths: [String], mappings: [FileMapping]) {
        (self.paths, self.mappings) = (paths, mappings)
        digests = BackgroundDigests(mappings)
    }

    /// Starts hashing the regular files among `arguments` (a `commit`'s, after its name); nil
    /// when there is nothing worth a thread, when a file is a zip (read as its entries), or when
    /// `-C DIR` would make a relative path name another file.
    public static func start(_ arguments: [String]) -> ExportPrefetch? {
        guard !arguments.contains(where: { $0.hasPrefix("-C") }) else { return nil }
        var paths: [String] = [], mappings: [FileMapping] = []
        for argument in arguments where !argument.hasPrefix("-") && !CVATLocation.looksLikeURL(argument)
            && FileSystem.isRegularFile(argument) {
            guard let mapping = try? FileMapping(path: argument), !ZipArchive.looksLikeZip(mapping.bytes) else { return nil }
            paths.append(argument)
            mappings.append(mapping)
        }
        guard mappings.reduce(0, { $0 + $1.count }) >= BackgroundDigests.threadThreshold else { return nil }
        return ExportPrefetch(paths: paths, mappings: mappings)
    }

    /// The mappings and their hashing when they are those of `paths`, in order; else the hashing
    /// is stopped and nil returned.
    func adopted(for paths: [String]) -> (mappings: [FileMapping], digests: BackgroundDigests)? {
        guard paths == self.paths else {
            digests.cancel()
            return nil
        }
        return (mappings, digests)
    }
}
