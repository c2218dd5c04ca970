import DSVDataset
import DSVStorage

extension RepositoryOptions {
    /// The repository found from `-C DIR` or the current folder upwards.
    func open() throws -> DatasetRepository {
        try DatasetRepository.discover(from: workingDirectory)
    }

    /// A path given on the command line, relative to `-C DIR` when one was given (as git does).
    func resolve(_ path: String) -> String {
        guard let directory, !path.hasPrefix("/") else { return path }
        return joinPath(directory, path)
    }

    /// An export named on the command line: `-` is the standard input, as for most Unix tools
    /// (read as `/dev/stdin` is: its source is named "stdin").
    func resolveExport(_ path: String) -> String { path == "-" ? "/dev/stdin" : resolve(path) }

    /// A file to write named on the command line: `-` is the standard output, and a file that
    /// cannot be renamed over (a device, `/dev/stdout`) is written where it stands.
    static func output(_ argument: String, resolving resolve: (String) -> String) -> OutputDestination {
        .named(argument == "-" ? argument : resolve(argument))
    }

    /// Says what was written to `destination`: on the standard output, unless the file went
    /// there (`-o -`), where it would be read as the file's end.
    static func sayWritten(_ line: String, to destination: OutputDestination) {
        if destination.isStandardOutput { writeStandardError(line + "\n") } else { print(line) }
    }

    /// An export argument as output names it: `-` as its source is named.
    static func exportLabel(_ argument: String) -> String { argument == "-" ? "stdin" : argument }
}

/// Formatting shared by the commands that print versions.
enum VersionText {
    /// "1 image", "2 images"; `plural` for nouns that do not just take an "s".
    static func count(_ value: Int, _ noun: String, plural: String? = nil) -> String {
        "\(value.formatted) \(value == 1 ? noun : plural ?? noun + "s")"
    }

    static func bytes(_ value: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var size = Double(value)
        var unit = 0
        while size >= 1000 && unit < units.count - 1 {
            size /= 1000
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\((size * 10).rounded() / 10) \(units[unit])"
    }

    /// One line of counts: "118,287 images, 860,001 annotations, 80 categories".
    static func counts(_ summary: DatasetSummary) -> String {
        [count(summary.images, "image"), count(summary.annotations, "annotation"),
         count(summary.categories.count, "category", plural: "categories")].joined(separator: ", ")
    }

    /// The counts of one subset: "subset Train: 120 images, 830 annotations".
    static func counts(_ summary: DatasetSummary, subset: String) -> String {
        guard let counts = summary.subsets.first(where: { $0.subset.name == subset }) else { return "subset \(subset)" }
        return "subset \(subset): \(count(counts.images, "image")), \(count(counts.annotations, "annotation"))"
    }

    /// "Train 120 images, Validation 30 images", or nil for a version with only the default subset.
    static func subsets(_ summary: DatasetSummary) -> String? {
        guard summary.subsets.count > 1 || !summary.subsets[0].subset.isDefault else { return nil }
        return summary.subsets.map { "\($0.subset.name) \(count($0.images, "image"))" }.joined(separator: ", ")
    }
}

extension Int {
    /// Thousands separated by commas, as people read counts.
    var formatted: String {
        let digits = String(magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (self < 0 ? "-" : "") + out
    }
}
