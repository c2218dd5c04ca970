import ArgumentParser
import DSVDataset

/// What `materialize` and `checkout --images` say alike: the help of their shared options, and
/// a materialization's report.
enum MaterializeText {
    static let cacheHelp = ArgumentHelp("The content cache (default $XDG_CACHE_HOME/dsv, else ~/.cache/dsv).", valueName: "DIR")

    /// The variables `--shard auto` reads, as the help names them.
    static let launcherNames = MaterializeOperation.Shard.launchers.map { "\($0.0)/\($0.1)" }.joined(separator: ", ")

    /// A line per image not written (changed in S3 since the commit, or gone), then the summary:
    /// `N <noun>s <place> (qualifiers): … downloaded (…), … from cache`.
    static func lines(_ report: MaterializeOperation.Report, noun: String, place: String, subset: String?,
                      shard: MaterializeOperation.Shard?) -> [String] {
        var lines = report.changed.map { Style.modified("changed  \(TerminalText.name($0))  (changed in S3 since commit; not written)") }
        lines += report.missing.map { Style.removed("missing  \(TerminalText.name($0))  (not in S3; not written)") }
        var line = "\(VersionText.count(report.files, noun)) \(place)"
        line += subset.map { " (subset \($0))" } ?? ""
        line += shard.map { " (shard \($0)\($0.source.map { " from \($0)" } ?? ""))" } ?? ""
        line += ": \(report.downloaded.formatted) downloaded (\(VersionText.bytes(Int(report.bytesDownloaded)))), "
        line += "\(report.fromCache.formatted) from cache"
        if !report.isComplete { line += ", \(report.changed.count.formatted) changed, \(report.missing.count.formatted) missing" }
        return lines + [line]
    }
}

extension ProgressBar {
    /// A materialization's files and bytes.
    func update(_ progress: MaterializeOperation.Progress) {
        update(files: progress.done, of: progress.files, bytes: progress.bytesDownloaded, of: progress.bytesToDownload,
               force: progress.done == progress.files)
    }
}
