import Glibc

/// The process environment (`getenv`).
public enum ProcessEnvironment {
    /// Ends the process with `status`.
    public static func exit(_ status: Int32) -> Never { Glibc.exit(status) }

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
}
