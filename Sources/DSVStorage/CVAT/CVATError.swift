import DSVNative

/// What can go wrong between dsv and a CVAT server, each case one line for the user. No case ever
/// carries a token, a password or a session cookie: requests are named by method and path only.
public enum CVATError: Error, Sendable, CustomStringConvertible {
    /// An argument that looked like a URL but names no project, task or job.
    case notALocation(String)
    /// The server refused the credentials (401/403), or there were none to give.
    case refused(server: String, status: Int, detail: String, hint: String)
    /// A project, task or job that does not exist, or that this user cannot see.
    case notFound(server: String, what: String)
    /// A project or task with no job the filters choose.
    case noJobs(String)
    /// An export CVAT reports failed, with CVAT's message.
    case exportFailed(job: Int, message: String)
    /// An export that did not finish within the time given (`--timeout`).
    case timedOut(job: Int, seconds: Double)
    /// The server could not be reached, or kept failing, after the retries.
    case unavailable(request: String, reason: String)
    /// An answer that is not what CVAT's API gives (a proxy's page, an unknown version).
    case unexpected(request: String, reason: String)
    /// An export that arrived but is not a COCO export zip.
    case notAnExport(job: Int, reason: String)
    /// A local file (the export cache) could not be written.
    case local(SystemError)
    /// A prompt for the password that could not be shown.
    case noPassword(String)
    /// A task whose subset cannot name a subset of a version (it becomes a file name).
    case badSubset(task: Int, name: String, subset: String, problem: String)
    /// A failure once the round's exports had begun, `kept` of them finished: those stay in the
    /// export cache, and a rerun exports only the others. Said only where it is so — a server
    /// unreachable at the first request has exported nothing to keep.
    indirect case afterExports(CVATError, kept: Int)

    public var description: String { description(committing: false) }

    /// The line for the user; for a commit (`committing`), saying too that nothing was committed
    /// where the round failed on the way to a commit — a status commits nothing either way.
    public func description(committing: Bool) -> String { description(committing: committing, kept: 0) }

    private func description(committing: Bool, kept count: Int) -> String {
        let nothing = committing ? "; nothing committed" : ""
        let kept = count == 0 ? nothing : (committing ? "; nothing committed, " : "; ")
            + (count == 1 ? "the export that finished is" : "the \(count) exports that finished are") + " kept for the next run"
        return switch self {
        case .notALocation(let url):
            "\(url) is not a CVAT project, task or job URL (…/projects/ID, …/tasks/ID, …/tasks/ID/jobs/ID or …/jobs/ID)"
        case .refused(let server, let status, let detail, let hint):
            "CVAT at \(server) refused the request (\(status)\(detail.isEmpty ? "" : ": \(detail)")); \(hint)"
        case .notFound(let server, let what):
            "CVAT at \(server) has no \(what) (404), or this user cannot see it (an organization's resources need --org)"
        case .noJobs(let what): what
        case .exportFailed(let job, let message):
            "CVAT could not export job \(job): \(message.isEmpty ? "the export failed" : message)\(kept)"
        case .timedOut(let job, let seconds):
            "the export of job \(job) did not finish within \(Self.duration(seconds)) (--timeout)\(kept)"
        case .unavailable(let request, let reason):
            "CVAT unavailable: \(request): \(reason)\(kept)"
        case .unexpected(let request, let reason): "unexpected answer from CVAT to \(request): \(reason)\(kept)"
        case .notAnExport(let job, let reason): "the export of job \(job) is not a COCO export zip: \(reason)\(kept)"
        case .local(let error): error.description
        case .noPassword(let reason): reason
        case .badSubset(let task, let name, let subset, let problem):
            "CVAT task \(task) \"\(name)\" has the subset \(subset), which cannot name a subset: \(problem)\(nothing)"
        case .afterExports(let error, let kept): error.description(committing: committing, kept: kept)
        }
    }

    static func duration(_ seconds: Double) -> String {
        if seconds >= 3600 && seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600)) h" }
        if seconds >= 60 && seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60)) min" }
        return seconds == seconds.rounded() ? "\(Int(seconds)) s" : "\(seconds) s"
    }
}
