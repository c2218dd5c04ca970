import Glibc

/// Runs a program to its end and measures it: wall time and peak resident memory of that
/// child alone (`posix_spawnp` + `wait4`). For the benchmark harness.
public enum ChildProcess {
    public struct Measurement: Sendable {
        public let status: Int32
        public let seconds: Double
        /// Peak resident set size in bytes.
        public let maxResidentBytes: Int
    }

    /// `arguments[0]` is looked up on PATH. Output goes to `/dev/null` unless `quiet` is false.
    public static func run(_ arguments: [String], directory: String? = nil, quiet: Bool = true) -> Measurement {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let previous = FileSystem.currentDirectory
        if let directory { chdir(directory) }
        defer { chdir(previous) }
        let start = Trace.now()
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
        if spawned != 0 { return Measurement(status: 127, seconds: 0, maxResidentBytes: 0) }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Trace.now() - start
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Measurement(status: exitCode, seconds: seconds, maxResidentBytes: Int(usage.ru_maxrss) * 1024)
    }

    /// Total size in bytes of the files under `path` (`du -sb`-like, apparent sizes).
    public static func treeSize(_ path: String) -> Int {
        var total = 0
        guard let directory = opendir(path) else { return 0 }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR { total += treeSize(child) } else { total += Int(info.st_size) }
        }
        return total
    }
}
