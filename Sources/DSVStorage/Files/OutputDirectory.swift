import DSVNative

/// A folder that files are placed into by relative path, never outside it: names that climb out
/// are refused (`RelativePath`), and so is a path through a symlink — a folder on the way that
/// is a link could point anywhere. Files are placed atomically: the final name holds the old
/// file or the complete new one.
public final class OutputDirectory: @unchecked Sendable {
    public let root: String
    /// Relative folders already checked to be real folders (not links) or created by us.
    private var checked: Set<Substring> = [""]

    /// Opens (creating it if needed) the folder.
    public init(root: String) throws(OutputError) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        do { try FileSystem.createDirectories(self.root) } catch { throw .io(error) }
        guard FileSystem.isDirectory(self.root) else { throw .io(SystemError("use as a folder", path: root, errno: SystemError.notADirectory)) }
    }

    /// The full path for `relative`, with its parent folders created; throws when it would leave
    /// the folder.
    public func path(for relative: String) throws(OutputError) -> String {
        if let problem = RelativePath.problem(relative) { throw .outside(relative, problem) }
        var parent = Substring(relative)
        parent = parent.lastIndex(of: "/").map { parent[..<$0] } ?? ""
        if !checked.contains(parent) {
            var prefix = ""
            for component in parent.split(separator: "/") where component != "." {
                prefix += prefix.isEmpty ? String(component) : "/" + component
                if checked.contains(Substring(prefix)) { continue }
                let full = root + "/" + prefix
                let kind: FileStatus.Kind?
                do { kind = try FileStatus.of(full)?.kind } catch { throw .io(error) }
                switch kind {
                case nil: do { try FileSystem.makeDirectory(full) } catch { throw .io(error) }
                case .directory: break
                case .symlink: throw .outside(relative, "goes through the symlink \(prefix)")
                case .file, .other: throw .io(SystemError("create directory", path: full, errno: SystemError.fileExists))
                }
                checked.insert(Substring(prefix))
            }
            checked.insert(parent)
        }
        return root + "/" + relative
    }

    /// Puts the file at `source` under `destination` (a path from `path(for:)`): a hard link
    /// when both are on one file system, a copy otherwise. What was at `destination` (an older
    /// file, a symlink) is replaced, never written through.
    /// - Returns: whether the file was linked (false: copied).
    @discardableResult
    public func place(_ source: String, at destination: String) throws(SystemError) -> Bool {
        if try FileStatus.of(destination) == nil, try FileSystem.hardLink(from: source, to: destination) { return true }
        let temporary = FileSystem.temporaryPath(beside: destination)
        let registration = TemporaryFiles.register(temporary)
        defer { TemporaryFiles.forget(registration) }
        do {
            let linked = try FileSystem.hardLink(from: source, to: temporary)
            if !linked { try FileSystem.copyFile(from: source, to: temporary) }
            try FileSystem.rename(temporary, to: destination)
            return linked
        } catch {
            FileSystem.remove(temporary)
            throw error
        }
    }
}

/// Why a file could not be placed.
public enum OutputError: Error, Sendable, CustomStringConvertible {
    /// The name would land outside the folder (`RelativePath.problem`). `others` counts the
    /// further names refused with it, `examples` the first few of them: a version made from
    /// local files may hold thousands, and one named per run left the user to find them one
    /// run at a time.
    case outside(String, String, others: Int = 0, examples: [String] = [])
    case io(SystemError)

    public var description: String {
        switch self {
        case .outside(let name, let problem, let others, let examples):
            "file name \"\(name)\" \(problem); nothing is written outside the output folder" + Self.alsoRefused(others, examples)
        case .io(let error): error.description
        }
    }

    /// ` (refused too: "a", "b" and 7 more)`, or nothing.
    static func alsoRefused(_ others: Int, _ examples: [String]) -> String {
        guard others > 0 else { return "" }
        let named = examples.prefix(others).map { "\"\($0)\"" }.joined(separator: ", ")
        let rest = others - min(others, examples.count)
        return " (refused too: " + named + (rest > 0 ? " and \(rest) more" : "") + ")"
    }
}
