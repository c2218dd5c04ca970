/// A CVAT project, task or job, named by the URL a user copies from the browser:
/// `https://cvat.example.com/projects/3`, `…/tasks/12`, `…/tasks/12/jobs/45` or `…/jobs/45`. A
/// server under a path (`https://example.com/cvat/projects/3`), an API URL (`…/api/jobs/45`), a
/// trailing slash, a fragment and query parameters other than `org` are taken as the browser
/// takes them. Credentials written into the URL (`https://user:pass@host/…`) are taken apart
/// from it, so that the location itself never carries a secret.
public struct CVATLocation: Sendable, Hashable, CustomStringConvertible {
    public enum Resource: Sendable, Hashable {
        case project(Int)
        case task(Int)
        /// A job, with the task the URL named it under when it did.
        case job(Int, task: Int?)
    }

    /// `scheme://host[:port][/path]`, without credentials or a trailing slash: what every API
    /// path is appended to.
    public let server: String
    public let resource: Resource
    /// The organization the URL's `?org=` names.
    public let organization: String?
    /// A user (and password) written into the URL.
    public let user: String?
    public let password: String?

    /// Whether `argument` is meant as a URL rather than a file (`http://…`, `https://…`).
    public static func looksLikeURL(_ argument: String) -> Bool {
        argument.hasPrefix("http://") || argument.hasPrefix("https://")
    }

    public init(url: String) throws(CVATError) {
        let invalid = CVATError.notALocation(CVATLocation.redacted(url))
        guard Self.looksLikeURL(url) else { throw invalid }
        let schemeEnd = url.firstRange(of: "://")!.upperBound
        var rest = Substring(url[schemeEnd...])
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        let path = rest[slash...]
        var user: String?, password: String?
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = URIEncoding.decode(credentials[..<colon])
                password = URIEncoding.decode(credentials[credentials.index(after: colon)...])
            } else {
                user = URIEncoding.decode(credentials)
            }
        }
        guard !authority.isEmpty else { throw invalid }
        var components = path.split(separator: "/").map(String.init)
        // The resource: the last `projects/N`, `tasks/N[/jobs/M]` or `jobs/M` of the path.
        func number(_ index: Int) -> Int? {
            index < components.count ? Int(components[index]).flatMap { $0 > 0 ? $0 : nil } : nil
        }
        var found: (start: Int, resource: Resource)?
        for index in components.indices.reversed() where found == nil {
            switch components[index] {
            case "projects": if let id = number(index + 1), index + 2 == components.count { found = (index, .project(id)) }
            case "tasks":
                if let id = number(index + 1) {
                    if index + 2 == components.count { found = (index, .task(id)) }
                    else if index + 4 == components.count, components[index + 2] == "jobs", let job = number(index + 3) {
                        found = (index, .job(job, task: id))
                    }
                }
            case "jobs":
                guard let id = number(index + 1), index + 2 == components.count else { break }
                // `tasks/N/jobs/M` is found at its `tasks`, one step on.
                if index >= 2, components[index - 2] == "tasks", number(index - 1) != nil { break }
                found = (index, .job(id, task: nil))
            default: break
            }
        }
        guard let (start, resource) = found else { throw invalid }
        components.removeSubrange(start...)
        if components.last == "api" { components.removeLast() }
        let scheme = url[..<schemeEnd]
        server = scheme + authority + components.map { "/" + $0 }.joined()
        self.resource = resource
        self.user = user
        self.password = password
        organization = query.split(separator: "&").first { $0.hasPrefix("org=") }
            .map { URIEncoding.decode($0.dropFirst(4)) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL as the browser shows it, without credentials.
    public var description: String {
        let path = switch resource {
        case .project(let id): "/projects/\(id)"
        case .task(let id): "/tasks/\(id)"
        case .job(let id, let task): task.map { "/tasks/\($0)/jobs/\(id)" } ?? "/jobs/\(id)"
        }
        return server + path + (organization.map { "?org=\(URIEncoding.encode($0, keepSlash: false))" } ?? "")
    }

    /// A URL with any `user:password@` taken out, for messages about one that could not be read.
    static func redacted(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://")?.upperBound else { return url }
        let rest = url[schemeEnd...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
        return String(url[..<schemeEnd]) + rest[rest.index(after: at)...]
    }
}
