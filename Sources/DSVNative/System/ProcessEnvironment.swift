import CProcess
import Glibc

/// The process environment (`getenv`).
public enum ProcessEnvironment {
    /// Ends the process with `status`.
    public static func exit(_ status: Int32) -> Never { Glibc.exit(status) }

    /// Ends the process with `status` once its output is flushed, without waiting for the kernel
    /// to unmap its memory: a process that shares the memory, started now, is left to end after
    /// it and unmap it (`dsv_exit_leaving_memory`).
    public static func exitLeavingMemory(_ status: Int32) -> Never {
        dsv_exit_leaving_memory(status)
    }

    /// Whether dsv was built under a sanitizer (`make sanitize`): memory is then freed before
    /// the exit rather than left to it. LeakSanitizer, which looks at the exit for blocks no
    /// pointer reaches, cannot follow a reference that an enum case's tag shares bits with
    /// (Swift packs it into a pointer's unused high bits): a parsed JSON document left to the
    /// exit showed as hundreds of leaks.
    public static let isSanitized = dsv_sanitized() != 0

    /// The value of `name`, or nil when unset or empty.
    public static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let text = String(cString: raw)
        return text.isEmpty ? nil : text
    }
}

/// Facts about the machine.
public enum SystemInfo {
    /// Online processors (`sysconf(_SC_NPROCESSORS_ONLN)`).
    public static let processorCount: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// How much of the page cache may be dirty before the kernel starts writing it back
    /// (`vm.dirty_background_bytes`, or `vm.dirty_background_ratio` of the available memory);
    /// nil where Linux's files do not say. Read once.
    public static let dirtyBackgroundBytes: Int? = {
        if let bytes = numbers(in: "/proc/sys/vm/dirty_background_bytes")?[0], bytes > 0 { return bytes }
        guard let ratio = numbers(in: "/proc/sys/vm/dirty_background_ratio")?[0], let available = availableMemory() else { return nil }
        return available / 100 * ratio
    }()

    /// The first `count` numbers of a file of /proc (whitespace between them), or nil.
    static func numbers(in path: String, count: Int = 1) -> [Int]? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var values: [Int] = []
        for _ in 0..<count {
            var value = 0
            let read = withUnsafeMutablePointer(to: &value) { pointer in withVaList([pointer]) { vfscanf(file, "%ld", $0) } }
            guard read == 1 else { return nil }
            values.append(value)
        }
        return values
    }

    /// `MemAvailable` of /proc/meminfo, in bytes.
    private static func availableMemory() -> Int? {
        guard let file = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("MemAvailable:") else { continue }
            return text.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }
}
