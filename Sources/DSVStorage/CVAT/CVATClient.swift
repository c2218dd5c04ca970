import DSVJSON
import DSVNative

/// A client of one CVAT server's REST API over libcurl, for the few calls a round makes: the
/// server's version, lists page by page, projects, tasks, jobs, a task's frames, a cloud storage.
/// Exports run on `CVATExporter`, several at once, with this client's session.
///
/// Requests are retried as S3's are (`RetryPolicy`: 5xx, 408, 429, dropped connections). 401
/// and 403 are the credentials' fault and end at once (exit 77). Secrets travel in headers only,
/// and no message names a header.
///
/// Not thread safe: one easy handle, reused so that its connection stays alive.
public final class CVATClient: @unchecked Sendable {
    /// `scheme://host[:port][/path]`.
    public let server: String
    public let organization: String?
    public let version: CVATVersion
    public var retryPolicy = RetryPolicy()
    /// Headers every request carries (credentials, organization), and those only unsafe
    /// methods need on a session (CSRF).
    var headers: [(name: String, value: String)] = []
    var unsafeHeaders: [(name: String, value: String)] = []
    /// Whether the credentials are a personal access token, which CVAT took from 2.48 on.
    private(set) var usesAccessToken = false
    private let curl: CurlEasy

    /// Connects: asks the server's version (`GET /api/server/about`, which needs no credentials),
    /// then logs in when a password was given.
    public init(server: String, organization: String?, credentials: CVATCredentials) throws(CVATError) {
        self.server = server
        self.organization = organization
        do { curl = try CurlEasy() } catch { throw .unavailable(request: "starting a transfer", reason: "\(error)") }
        headers = [("Accept", "application/vnd.cvat+json, application/json"), ("User-Agent", "dsv")]
        if let organization { headers.append(("X-Organization", organization)) }
        let about = try Self.json(try Self.send(curl, request: HTTPRequest(method: "GET", url: server + "/api/server/about", headers: headers),
                                                 name: "GET /api/server/about", retryPolicy: retryPolicy, server: server),
                                  request: "GET /api/server/about")
        guard let text = about["version"]?.stringValue, let version = CVATVersion(text) else {
            throw .unexpected(request: "GET \(server)/api/server/about", reason: "no CVAT version in the answer; is this a CVAT server?")
        }
        guard version >= CVATVersion(2, 4) else {
            throw .unexpected(request: "GET \(server)/api/server/about", reason: "CVAT \(text) is older than 2.4, the oldest dsv speaks to")
        }
        self.version = version
        try authenticate(credentials)
    }

    // MARK: Credentials

    private func authenticate(_ credentials: CVATCredentials) throws(CVATError) {
        switch credentials {
        case .none:
            break
        case .accessToken(let token):
            headers.append(("Authorization", "Bearer \(token)"))
            usesAccessToken = true
        case .password(let user, let password):
            let body = JSONValue.object([("username", .string(user)), ("password", .string(password))]).compact
            let request = HTTPRequest(method: "POST", url: server + "/api/auth/login",
                                      headers: headers + [("Content-Type", "application/json")], body: Array(body.utf8))
            let response = try Self.send(curl, request: request, name: "POST /api/auth/login", retryPolicy: retryPolicy,
                                         server: server, refusalIsFinal: false)
            switch response.status {
            case 200..<300:
                adoptSession(response)
            case 404, 405:
                // No login endpoint: Basic on every request.
                let basic = Base64.encode(Array("\(user):\(password)".utf8))
                headers.append(("Authorization", "Basic \(basic)"))
            default:
                throw .refused(server: server, status: response.status, detail: Self.detail(response.body),
                               hint: "the user name or password was not accepted (--auth USER, with PASS or the prompt)")
            }
        }
    }

    /// A login's session: its cookies on every request and the CSRF token on unsafe ones (as
    /// Django wants, with the server as Origin and Referer); or, from a server that set no
    /// cookie, its token.
    private func adoptSession(_ response: HTTPResponse) {
        var cookies: [(String, String)] = []
        for (name, value) in response.headers where name == "set-cookie" {
            let pair = value.split(separator: ";", maxSplits: 1).first ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { cookies.append((parts[0].trimmingCharacters(in: " \t"), parts[1].trimmingCharacters(in: " \t"))) }
        }
        if cookies.contains(where: { $0.0 == "sessionid" }) {
            headers.append(("Cookie", cookies.map { "\($0.0)=\($0.1)" }.joined(separator: "; ")))
            if let csrf = cookies.first(where: { $0.0 == "csrftoken" }) {
                unsafeHeaders = [("X-CSRFToken", csrf.1), ("Origin", origin), ("Referer", server + "/")]
            }
        } else if let key = (try? JSONValue.parse(response.body))?["key"]?.stringValue {
            headers.append(("Authorization", "Token \(key)"))
        }
    }

    /// `scheme://host[:port]` of the server.
    var origin: String {
        let schemeEnd = server.firstRange(of: "://")!.upperBound
        let slash = server[schemeEnd...].firstIndex(of: "/") ?? server.endIndex
        return String(server[..<slash])
    }

    // MARK: Requests

    /// The full URL for an API path (`/api/jobs`), or for a URL the server gave (`next`,
    /// `result_url`): its path from `/api/` on is put under our server URL, so that a server
    /// behind a proxy that names itself by another host is still reached the way we reach it.
    func url(_ pathOrURL: String, query: [(String, String)] = []) -> String {
        var url = pathOrURL
        if pathOrURL.hasPrefix("http://") || pathOrURL.hasPrefix("https://") {
            if let api = pathOrURL.firstRange(of: "/api/") { url = server + pathOrURL[api.lowerBound...] }
        } else {
            url = server + pathOrURL
        }
        guard !query.isEmpty else { return url }
        let encoded = query.map { "\(URIEncoding.encode($0.0, keepSlash: false))=\(URIEncoding.encode($0.1, keepSlash: false))" }
        return url + (url.contains("?") ? "&" : "?") + encoded.joined(separator: "&")
    }

    /// The request for a method and URL, with the session's headers.
    func request(_ method: String, _ url: String, body: [UInt8] = [], download: DownloadTarget? = nil) -> HTTPRequest {
        let unsafe = method != "GET" && method != "HEAD"
        return HTTPRequest(method: method, url: url, headers: headers + (unsafe ? unsafeHeaders : []), body: body, download: download)
    }

    /// Sends a request, retried as `retryPolicy` says, and returns any answer that is not a
    /// refusal of the credentials or a server error.
    func send(_ method: String, _ pathOrURL: String, query: [(String, String)] = [],
              download: DownloadTarget? = nil) throws(CVATError) -> HTTPResponse {
        do {
            return try Self.send(curl, request: request(method, url(pathOrURL, query: query), download: download),
                                 name: "\(method) \(Self.path(of: pathOrURL))", retryPolicy: retryPolicy, server: server)
        } catch { throw explained(error) }
    }

    /// A refusal of a personal access token by a server from before there were any says so.
    func explained(_ error: CVATError) -> CVATError {
        guard case .refused(let server, let status, let detail, _) = error, usesAccessToken, version < CVATVersion(2, 48) else { return error }
        return .refused(server: server, status: status, detail: detail,
                        hint: "CVAT \(version) may predate personal access tokens (CVAT_ACCESS_TOKEN): give --auth USER instead")
    }

    static func send(_ curl: CurlEasy, request: HTTPRequest, name: String, retryPolicy: RetryPolicy, server: String,
                     refusalIsFinal: Bool = true) throws(CVATError) -> HTTPResponse {
        var attempt = 0
        while true {
            attempt += 1
            let outcome = classify(Result { () throws(CurlError) in try curl.perform(request) }, name: name, server: server,
                                   refusalIsFinal: refusalIsFinal)
            switch outcome {
            case .answer(let response): return response
            case .failure(let error): throw error
            case .retry(let reason, let retryAfter):
                guard let delay = retryPolicy.delay(afterAttempt: attempt, retryAfter: retryAfter) else {
                    throw .unavailable(request: name, reason: "\(reason) (after \(attempt) attempts)")
                }
                UTCClock.sleep(seconds: delay)
            }
        }
    }

    enum Outcome {
        case answer(HTTPResponse)
        case retry(String, retryAfter: Double?)
        case failure(CVATError)
    }

    /// What a transfer's result means for any CVAT request.
    static func classify(_ result: Result<HTTPResponse, CurlError>, name: String, server: String,
                         refusalIsFinal: Bool = true) -> Outcome {
        switch result {
        case .success(let response):
            if RetryPolicy.isRetryable(status: response.status) {
                return .retry("\(response.status) \(detail(response.body))", retryAfter: response.header("retry-after").flatMap(Double.init))
            }
            if refusalIsFinal && (response.status == 401 || response.status == 403) {
                return .failure(.refused(server: server, status: response.status, detail: detail(response.body),
                                         hint: "set CVAT_ACCESS_TOKEN to a personal access token, or give --auth USER (the password from PASS or the prompt)"))
            }
            return .answer(response)
        case .failure(let error):
            if let local = error.localFailure { return .failure(.local(local)) }
            // The request is named by its path already; curl's message would name it again, whole.
            let reason = "\(error.reason) at \(server)"
            return error.isTransient ? .retry(reason, retryAfter: nil) : .failure(.unavailable(request: name, reason: reason))
        }
    }

    /// CVAT's `{"detail": "…"}` (or a short text body), on one line.
    static func detail(_ body: [UInt8]) -> String {
        if let value = try? JSONValue.parse(body) {
            if let detail = value["detail"]?.stringValue { return detail }
            if let first = value["non_field_errors"]?.arrayValue?.first?.stringValue { return first }
            if let text = value.stringValue { return text }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        if text.hasPrefix("<") { return "" }  // a proxy's HTML page says nothing the status does not
        return text.split(whereSeparator: \.isNewline).last.map { $0.trimmingCharacters(in: " \t\r") } ?? ""
    }

    /// The path of a URL or API path, as messages name requests (never a query's values).
    static func path(of pathOrURL: String) -> String {
        var text = Substring(pathOrURL)
        if let api = text.firstRange(of: "/api/") { text = text[api.lowerBound...] }
        return String(text.prefix { $0 != "?" })
    }

    static func json(_ response: HTTPResponse, request: String) throws(CVATError) -> JSONValue {
        guard (200..<300).contains(response.status) else {
            throw .unexpected(request: request, reason: "HTTP \(response.status) \(detail(response.body))")
        }
        do { return try JSONValue.parse(response.body) } catch {
            throw .unexpected(request: request, reason: "not JSON (\(error.reason) at byte \(error.offset))")
        }
    }

    // MARK: The API

    /// One object; `what` names it in a 404's message ("job 45").
    public func get(_ path: String, query: [(String, String)] = [], what: String) throws(CVATError) -> JSONValue {
        let response = try send("GET", path, query: query)
        if response.status == 404 { throw .notFound(server: server, what: what) }
        return try Self.json(response, request: "GET \(path)")
    }

    /// Every item of a paged list, following `next` until it is null.
    public func list(_ path: String, query: [(String, String)] = []) throws(CVATError) -> [JSONValue] {
        var items: [JSONValue] = []
        var next: String? = url(path, query: query + [("page_size", "100")])
        var pages = 0
        while let page = next {
            let value = try Self.json(try send("GET", page), request: "GET \(path)")
            guard let results = value["results"]?.arrayValue else {
                throw .unexpected(request: "GET \(path)", reason: "a list without results")
            }
            items += results
            next = value["next"]?.stringValue
            pages += 1
            if pages > 100_000 { throw .unexpected(request: "GET \(path)", reason: "a list that does not end") }
        }
        return items
    }

    public func job(_ id: Int) throws(CVATError) -> CVATJob {
        try decode(CVATJob.init, try get("/api/jobs/\(id)", what: "job \(id)"), "GET /api/jobs/\(id)")
    }

    /// Jobs matching simple equality filters (`project_id`, `task_id`, `type`, …).
    public func jobs(_ filters: [(String, String)]) throws(CVATError) -> [CVATJob] {
        var jobs: [CVATJob] = []
        for item in try list("/api/jobs", query: filters) { jobs.append(try decode(CVATJob.init, item, "GET /api/jobs")) }
        return jobs
    }

    public func task(_ id: Int) throws(CVATError) -> CVATTask {
        try decode(CVATTask.init, try get("/api/tasks/\(id)", what: "task \(id)"), "GET /api/tasks/\(id)")
    }

    /// Tasks matching simple equality filters (`project_id`), page by page.
    public func tasks(_ filters: [(String, String)]) throws(CVATError) -> [CVATTask] {
        var tasks: [CVATTask] = []
        for item in try list("/api/tasks", query: filters) { tasks.append(try decode(CVATTask.init, item, "GET /api/tasks")) }
        return tasks
    }

    public func project(_ id: Int) throws(CVATError) -> CVATProject {
        try decode(CVATProject.init, try get("/api/projects/\(id)", what: "project \(id)"), "GET /api/projects/\(id)")
    }

    public func dataMeta(task id: Int) throws(CVATError) -> CVATDataMeta {
        try decode(CVATDataMeta.init, try get("/api/tasks/\(id)/data/meta", what: "task \(id)"), "GET /api/tasks/\(id)/data/meta")
    }

    public func cloudStorage(_ id: Int) throws(CVATError) -> CVATCloudStorage {
        try decode(CVATCloudStorage.init, try get("/api/cloudstorages/\(id)", what: "cloud storage \(id)"), "GET /api/cloudstorages/\(id)")
    }

    private func decode<T>(_ make: (JSONValue) -> T?, _ value: JSONValue, _ request: String) throws(CVATError) -> T {
        guard let decoded = make(value) else { throw .unexpected(request: request, reason: "a field CVAT always sends is missing") }
        return decoded
    }
}
