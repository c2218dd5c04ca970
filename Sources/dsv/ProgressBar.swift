import DSVDataset
import DSVStorage
import Glibc

/// A one-line progress display on stderr, redrawn in place at most ten times a second — only
/// when stderr is a terminal, so that logs and pipes get just the final summary.
final class ProgressBar {
    private let enabled: Bool
    private let started = Trace.now()
    private var lastDrawn = 0.0
    private var drewSomething = false

    init() { enabled = isatty(2) == 1 && getenv("TERM").map { String(cString: $0) } != "dumb" }

    /// Redraws the line with `text` (computed only when drawn); `force` for the last state.
    func show(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = Trace.now()
        guard force || now - lastDrawn >= 0.1 else { return }
        lastDrawn = now
        writeStandardError("\r\u{1B}[K" + text())
        drewSomething = true
    }

    /// Files and bytes with a bar, the rate and the time left.
    func update(files done: Int, of total: Int, bytes: Int64, of totalBytes: Int64, force: Bool = false) {
        show(line(files: done, of: total, bytes: bytes, of: totalBytes), force: force)
    }

    /// A git transfer: objects received, indexed or sent.
    func update(_ progress: GitTransferProgress) {
        let verb = switch progress.phase {
        case .receiving: "receiving objects"
        case .indexing: "indexing objects"
        case .sending: "sending objects"
        }
        let percent = progress.total == 0 ? 100 : progress.done * 100 / progress.total
        show("\(verb): \(percent)% (\(progress.done.formatted)/\(progress.total.formatted)), \(VersionText.bytes(progress.bytes))",
             force: progress.done == progress.total)
    }

    private func line(files done: Int, of total: Int, bytes: Int64, of totalBytes: Int64) -> String {
        let elapsed = max(Trace.now() - started, 0.001)
        let rate = Double(bytes) / elapsed
        let width = 24
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let filled = Int(fraction * Double(width))
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
        line += "\(done.formatted)/\(total.formatted) files  \(VersionText.bytes(Int(bytes)))  \(VersionText.bytes(Int(rate)))/s"
        if rate > 0, totalBytes > bytes {
            line += "  ETA \(Self.duration(Double(totalBytes - bytes) / rate))"
        }
        return line
    }

    /// Clears the line before the summary is printed.
    func finish() {
        if enabled && drewSomething { writeStandardError("\r\u{1B}[K") }
        drewSomething = false
    }

    /// A command that fails leaves no half-drawn bar before its error line.
    deinit { finish() }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return total >= 3600 ? "\(total / 3600)h\(twoDigits(total / 60 % 60))m" : "\(total / 60):\(twoDigits(total % 60))"
    }
}
