import Glibc

/// The wall clock in UTC, formatted as the protocols dsv speaks want it.
public enum UTCClock {
    /// Seconds since the epoch.
    public static func now() -> Int64 { Int64(time(nil)) }

    /// `20150830T123600Z`, the SigV4 timestamp.
    public static func amzTimestamp(_ seconds: Int64 = now()) -> String {
        format(seconds, "%Y%m%dT%H%M%SZ")
    }

    /// `2015-08-30T12:36:00Z`.
    public static func iso8601(_ seconds: Int64) -> String { format(seconds, "%Y-%m-%dT%H:%M:%SZ") }

    /// A local time with its offset, e.g. `2026-11-25 13:10:15 +0000`, as git log shows it.
    public static func display(_ seconds: Int64, offsetMinutes: Int) -> String {
        let shifted = seconds + Int64(offsetMinutes) * 60
        let sign = offsetMinutes < 0 ? "-" : "+"
        let magnitude = abs(offsetMinutes)
        let offset = sign + pad(magnitude / 60) + pad(magnitude % 60)
        return format(shifted, "%Y-%m-%d %H:%M:%S") + " " + offset
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func format(_ seconds: Int64, _ pattern: String) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, pattern, &parts)
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

extension UTCClock {
    /// Sleeps the calling thread (`nanosleep`), e.g. between retries.
    public static func sleep(seconds: Double) {
        guard seconds > 0 else { return }
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}
