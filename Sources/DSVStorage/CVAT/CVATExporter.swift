import DSVJSON
import DSVNative

/// Exports jobs from CVAT as COCO 1.0 zips (annotations only, to be downloaded: `location=local`,
/// whatever target storage the project has), several at once on libcurl's multi interface, each
/// through the flow the server has:
///
/// - from 2.16: `POST /api/jobs/{id}/dataset/export?format=COCO 1.0&save_images=false` (202 and
///   a request id), `GET /api/requests/{id}` until it is finished, then `GET result_url`. A 409
///   means this user's export of that job is already running (a run killed earlier): it is found
///   among `/api/requests` and followed instead;
/// - before: `GET /api/jobs/{id}/annotations/?format=COCO 1.0` until 201, then `&action=download`.
///
/// A queued export is asked about again after 0.5 s, doubling to 5 s. A result that expired
/// before it was downloaded (404) is requested again, once. Requests that fail in transit or
/// with a 5xx are retried (`RetryPolicy`); the first failure that is final stops the run: no new
/// request starts, and the transfers in flight finish — a download that completed is kept.
/// Each zip streams into a temporary file beside its destination and is renamed into place only
/// once it reads as a zip with annotations, so a destination never holds a partial export.
public final class CVATExporter {
    public let client: CVATClient
    /// Jobs exported at once.
    public var concurrency = 4
    /// How long one job's export may take, from its request to its download.
    public var timeout: Double = 1800
    var pollDelays = (first: 0.5, longest: 5.0)

    public init(client: CVATClient) { self.client = client }

    static let format = "COCO 1.0"

    enum Phase {
        case start
        /// New flow: waiting on a request id.
        case poll(String)
        /// New flow after a 409: looking for the export that is already running.
        case findRunning
        /// Legacy flow: asking again until 201.
        case legacyPoll
        case download(String)
        case done
    }

    struct Job {
        let job: CVATJob
        let destination: String
        /// Where the download streams, hidden beside the destination and unique to this process.
        let temporary: String
        var phase = Phase.start
        var notBefore = 0.0
        var deadline = 0.0
        /// Consecutive failed attempts of the current request.
        var attempts = 0
        var pollDelay = 0.5
        /// Results requested again after they expired.
        var restarts = 0

        init(job: CVATJob, destination: String) {
            (self.job, self.destination) = (job, destination)
            temporary = FileSystem.temporaryPath(beside: destination)
        }
    }

    /// Exports every job to its destination file.
    /// - Parameter progress: called with the number of jobs done after each one.
    public func export(_ jobs: [(job: CVATJob, destination: String)], progress: (Int) -> Void = { _ in }) throws(CVATError) {
        guard !jobs.isEmpty else { return }
        var states = jobs.map { Job(job: $0.job, destination: $0.destination) }
        var nextToOpen = 0
        var open: Set<Int> = []
        var inFlight: Set<Int> = []
        var finished = 0
        var failure: CVATError?
        let multi: CurlMulti
        do { multi = try CurlMulti(maxConnectionsPerHost: concurrency) } catch {
            throw .unavailable(request: "starting a transfer", reason: "\(error)")
        }
        multi.run(concurrency: concurrency, next: {
            if failure != nil { return .done }
            let now = Trace.now()
            while open.count < concurrency && nextToOpen < states.count {
                states[nextToOpen].deadline = now + timeout
                states[nextToOpen].pollDelay = pollDelays.first
                open.insert(nextToOpen)
                nextToOpen += 1
            }
            var soonest = Double.infinity
            for index in open.sorted() where !inFlight.contains(index) {
                if states[index].deadline < now {
                    failure = .timedOut(job: states[index].job.id, seconds: timeout)
                    return .done
                }
                guard states[index].notBefore <= now else {
                    soonest = min(soonest, states[index].notBefore)
                    continue
                }
                inFlight.insert(index)
                return .request(tag: index, request(for: states[index]))
            }
            if open.isEmpty { return .done }
            return soonest.isFinite ? .wait(seconds: soonest - now) : .wait(seconds: 0.05)
        }, completed: { index, result in
            inFlight.remove(index)
            do throws(CVATError) {
                try advance(&states[index], result)
            } catch {
                FileSystem.remove(states[index].temporary)
                if failure == nil { failure = client.explained(error) }
            }
            if case .done = states[index].phase {
                open.remove(index)
                finished += 1
                progress(finished)
            }
        })
        if let failure { throw failure }
    }

    // MARK: One job's flow

    private func request(for state: Job) -> HTTPRequest {
        let id = state.job.id
        switch state.phase {
        case .start where client.version.hasRequestsAPI:
            return client.request("POST", client.url("/api/jobs/\(id)/dataset/export",
                                                     query: [("format", Self.format), ("save_images", "false"), ("location", "local")]))
        case .start, .legacyPoll:
            return client.request("GET", client.url("/api/jobs/\(id)/annotations/", query: [("format", Self.format), ("location", "local")]))
        case .poll(let requestID):
            return client.request("GET", client.url("/api/requests/\(URIEncoding.encode(requestID, keepSlash: false))"))
        case .findRunning:
            return client.request("GET", client.url("/api/requests", query: [
                ("action", "export"), ("target", "job"), ("job_id", String(id)), ("format", Self.format), ("page_size", "100")]))
        case .download(let url):
            return client.request("GET", client.url(url), download: DownloadTarget(path: state.temporary))
        case .done:
            preconditionFailure("a finished job asks for nothing")
        }
    }

    private func name(of state: Job) -> String {
        let id = state.job.id
        return switch state.phase {
        case .start where client.version.hasRequestsAPI: "POST /api/jobs/\(id)/dataset/export"
        case .start, .legacyPoll: "GET /api/jobs/\(id)/annotations/"
        case .poll: "GET /api/requests/…"
        case .findRunning: "GET /api/requests"
        case .download(let url): "GET \(CVATClient.path(of: url))"
        case .done: ""
        }
    }

    /// The job's next phase from the answer to its last request.
    private func advance(_ state: inout Job, _ result: Result<HTTPResponse, CurlError>) throws(CVATError) {
        let requestName = name(of: state)
        let response: HTTPResponse
        switch CVATClient.classify(result, name: requestName, server: client.server) {
        case .failure(let error):
            throw error
        case .retry(let reason, let retryAfter):
            // The legacy flow reports a failed export as a 500 with CVAT's traceback: final.
            if case .legacyPoll = state.phase, case .success(let answer) = result, answer.status == 500 {
                throw .exportFailed(job: state.job.id, message: CVATClient.detail(answer.body))
            }
            state.attempts += 1
            guard let delay = client.retryPolicy.delay(afterAttempt: state.attempts, retryAfter: retryAfter) else {
                throw .unavailable(request: requestName, reason: "\(reason) (after \(state.attempts) attempts)")
            }
            state.notBefore = Trace.now() + delay
            return
        case .answer(let answer):
            response = answer
        }
        state.attempts = 0
        let id = state.job.id
        let status = response.status
        func unexpected() -> CVATError {
            .unexpected(request: requestName, reason: "HTTP \(status)\(CVATClient.detail(response.body).isEmpty ? "" : ": \(CVATClient.detail(response.body))")")
        }
        switch state.phase {
        case .start where client.version.hasRequestsAPI:
            switch status {
            case 202:
                guard let requestID = (try? JSONValue.parse(response.body))?["rq_id"]?.stringValue else { throw unexpected() }
                wait(&state, then: .poll(requestID), reset: true)
            case 409: wait(&state, then: .findRunning, reset: true, delay: 0)
            case 404: throw .notFound(server: client.server, what: "job \(id)")
            default: throw unexpected()
            }
        case .start, .legacyPoll:
            switch status {
            case 202: wait(&state, then: .legacyPoll)
            case 201: state.phase = .download(client.url("/api/jobs/\(id)/annotations/",
                                                         query: [("format", Self.format), ("location", "local"), ("action", "download")]))
            case 404: throw .notFound(server: client.server, what: "job \(id)")
            default: throw unexpected()
            }
        case .poll:
            guard status != 404 else { return try restart(&state, reason: "its export request is gone") }
            guard status == 200, let value = try? JSONValue.parse(response.body), let request = value["status"]?.stringValue else {
                throw unexpected()
            }
            switch request {
            case "finished":
                guard let url = value["result_url"]?.stringValue else { throw unexpected() }
                state.phase = .download(url)
            case "failed": throw .exportFailed(job: id, message: value["message"]?.stringValue ?? "")
            default: wait(&state, then: state.phase)
            }
        case .findRunning:
            guard status == 200, let results = (try? JSONValue.parse(response.body))?["results"]?.arrayValue else { throw unexpected() }
            // The newest of this job's COCO exports that is running or ready; none visible: ask again.
            let mine = results.filter { $0["operation"]?["job_id"]?.intValue == id && ($0["operation"]?["format"]?.stringValue ?? Self.format) == Self.format }
                .sorted { ($0["created_date"]?.stringValue ?? "") > ($1["created_date"]?.stringValue ?? "") }
            if let running = mine.first(where: { ["queued", "started", "finished"].contains($0["status"]?.stringValue ?? "") }),
               let requestID = running["id"]?.stringValue {
                state.phase = .poll(requestID)
            } else {
                wait(&state, then: .start)
            }
        case .download:
            switch status {
            case 200..<300:
                try place(state)
                state.phase = .done
            case 404: try restart(&state, reason: "its result expired before it was downloaded")
            default: throw unexpected()
            }
        case .done:
            break
        }
    }

    /// The next phase after the poll delay (which doubles up to its longest each time).
    private func wait(_ state: inout Job, then phase: Phase, reset: Bool = false, delay: Double? = nil) {
        if reset { state.pollDelay = pollDelays.first }
        state.phase = phase
        state.notBefore = Trace.now() + (delay ?? state.pollDelay)
        if delay == nil { state.pollDelay = min(pollDelays.longest, state.pollDelay * 2) }
    }

    /// Requests the export again — once: a result that is gone twice is an error.
    private func restart(_ state: inout Job, reason: String) throws(CVATError) {
        state.restarts += 1
        guard state.restarts == 1 else {
            throw .unexpected(request: "the export of job \(state.job.id)", reason: "\(reason), twice")
        }
        state.phase = .start
        state.pollDelay = pollDelays.first
        state.notBefore = Trace.now()
    }

    /// Checks the downloaded zip and renames it into place.
    private func place(_ state: Job) throws(CVATError) {
        let archive: ZipArchive
        do { archive = try ZipArchive(path: state.temporary) } catch {
            throw .notAnExport(job: state.job.id, reason: "\(error)")
        }
        guard archive.entries.contains(where: \.isExportAnnotations) else {
            throw .notAnExport(job: state.job.id, reason: "no annotations/*.json inside")
        }
        do { try FileSystem.rename(state.temporary, to: state.destination) } catch { throw .local(error) }
    }
}
