import Glibc

/// Phase timings on stderr when `DSV_TRACE` is set: how a command's time splits, for
/// performance work. Silent otherwise.
public final class Trace: @unchecked Sendable {
    public static let enabled = getenv("DSV_TRACE") != nil
    private var last: Double
    private var lastCPU: Double

    /// When the first trace began: marks show their time since then, to line phases up with
    /// background work.
    public static let start = Trace.now()

    public init() {
        _ = Trace.start
        (last, lastCPU) = (Trace.now(), Trace.processCPU())
    }

    public static func now() -> Double { seconds(CLOCK_MONOTONIC) }

    /// CPU time of all the process's threads, so that a phase shows how many cores it kept busy.
    static func processCPU() -> Double { seconds(CLOCK_PROCESS_CPUTIME_ID) }

    private static func seconds(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Current resident set size in MB (`/proc/self/statm`).
    static func residentMegabytes() -> Int {
        let resident = SystemInfo.numbers(in: "/proc/self/statm", count: 2)?[1] ?? 0
        return resident * Int(sysconf(Int32(_SC_PAGESIZE))) / 1_000_000
    }

    /// Prints a line of its own.
    public static func note(_ text: String) {
        guard enabled else { return }
        let line = "trace: \(text)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    /// Milliseconds to a tenth: a small command's phases take one or two.
    static func milliseconds(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10_000).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Prints the time since the previous mark.
    public func mark(_ phase: String) {
        guard Trace.enabled else { return }
        let (current, cpu) = (Trace.now(), Trace.processCPU())
        Trace.note("[\(Trace.milliseconds(current - Trace.start))] \(phase) \(Trace.milliseconds(current - last)) ms (cpu \(Trace.milliseconds(cpu - lastCPU)) ms), rss \(Trace.residentMegabytes()) MB")
        (last, lastCPU) = (current, cpu)
    }
}
