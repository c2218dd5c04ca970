import Glibc

/// Runs a program to its end and measures it: wall time and peak resident memory of that
/// child alone (`posix_spawnp` + `wait4`). For the benchmark harness.
public enum ChildProcess {
    public struct Measurement: Sendable {
        public let status: Int32
        public let seconds: Double
        /// Peak resident set size in bytes.
        public let maxResidentBytes: Int

        public init(status: Int32, seconds: Double, maxResidentBytes: Int) {
            self.status = status
            self.seconds = seconds
            self.maxResidentBytes = maxResidentBytes
        }
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

    /// Runs a program and returns its standard output (for baselines that time themselves).
    public static func output(_ arguments: [String]) throws(SystemError) -> [UInt8] {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw SystemError("create a pipe for", path: arguments[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, environ)
        close(pipeEnds[1])
        defer { close(pipeEnds[0]) }
        guard spawned == 0 else { throw SystemError("run", path: arguments[0], errno: spawned) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(pipeEnds[0], &chunk, chunk.count)
            if n <= 0 { break }
            output += chunk[0..<n]
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return output
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
