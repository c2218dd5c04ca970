import ArgumentParser
import DSVDataset
import DSVStorage

/// How `commit` and `status` take a round straight from CVAT, when an EXPORT is a CVAT URL.
struct CVATOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The CVAT user for URL exports: USER (the password from PASS, else asked on a terminal) "
                               + "or USER:PASS; without it, CVAT_ACCESS_TOKEN (a personal access token).",
                               valueName: "USER[:PASS]"))
    var auth: String?

    @Option(name: .customLong("org"), help: ArgumentHelp("The CVAT organization (its slug), as the URL's ?org= names it.",
                                                         valueName: "SLUG"))
    var organization: String?

    @Option(help: ArgumentHelp("Take the jobs in this state; repeat for several (default: completed).",
                               valueName: "new|in progress|completed|rejected"))
    var state: [String] = []

    @Option(help: ArgumentHelp("Take only the jobs in this stage.", valueName: "annotation|validation|acceptance"))
    var stage: String?

    @Option(name: .customShort("j"), help: ArgumentHelp("CVAT jobs exported at once.", valueName: "N"))
    var jobs = 4

    @Option(help: ArgumentHelp("How long one CVAT export may take: seconds, or 90s, 30m, 2h.", valueName: "DURATION"))
    var timeout = "30m"

    static let states = ["new", "in progress", "completed", "rejected"]
    static let stages = ["annotation", "validation", "acceptance"]

    func validate() throws {
        if let bad = state.first(where: { !Self.states.contains($0) }) {
            throw ValidationError("--state \(bad): a job's state is one of \(Self.states.joined(separator: ", "))")
        }
        if let stage, !Self.stages.contains(stage) {
            throw ValidationError("--stage \(stage): a job's stage is one of \(Self.stages.joined(separator: ", "))")
        }
        if jobs < 1 { throw ValidationError("-j: at least one export at a time") }
        if Self.seconds(timeout) == nil { throw ValidationError("--timeout \(timeout): give seconds, or a duration like 90s, 30m or 2h") }
    }

    /// "90", "90s", "30m", "2h" in seconds.
    static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let (number, unit) = units[text.last ?? " "].map { (text.dropLast(), $0) } ?? (Substring(text), 1)
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        return value * unit
    }

    /// The EXPORT arguments that are CVAT URLs, parsed; the others are paths. All URLs must name
    /// one server: a version records one.
    static func split(_ exports: [String]) throws -> (urls: [CVATLocation], paths: [String]) {
        var urls: [CVATLocation] = [], paths: [String] = []
        for export in exports {
            if CVATLocation.looksLikeURL(export) { urls.append(try CVATLocation(url: export)) } else { paths.append(export) }
        }
        if let other = urls.first(where: { $0.server != urls[0].server }) {
            throw ValidationError("the URLs name two CVAT servers (\(urls[0].server), \(other.server)); commit a round from one server at a time")
        }
        return (urls, paths)
    }

    func request(_ locations: [CVATLocation], imagesGiven: Bool) throws -> CVATRound.Request {
        var request = CVATRound.Request(locations: locations, credentials: try CVATCredentials.resolve(auth: auth, location: locations[0]))
        request.organization = organization
        if !state.isEmpty { request.states = state }
        request.stage = stage
        request.concurrency = jobs
        request.timeout = Self.seconds(timeout) ?? 1800
        request.imagesGiven = imagesGiven
        return request
    }

    /// Fetches the round, with a progress line on a terminal.
    func fetch(_ locations: [CVATLocation], imagesGiven: Bool, in repository: DatasetRepository) throws -> CVATRound.Fetched {
        let progress = ProgressBar()
        defer { progress.finish() }
        return try CVATRound.fetch(try request(locations, imagesGiven: imagesGiven), cache: CVATExportCache(repository: repository)) { done, total in
            progress.show("exporting from CVAT: \(done.formatted)/\(total.formatted) jobs", force: done == total)
        }
    }

    /// What a round's fetch says before the version's own lines.
    static func report(_ round: CVATRound.Fetched, sharedImages: Int) {
        let taskCount = Set(round.jobs.map(\.taskID)).count
        print("CVAT \(round.provenance.sources.joined(separator: " ")): \(VersionText.count(round.jobs.count, "job")) in "
              + "\(VersionText.count(taskCount, "task")) — \(round.exported.formatted) exported, \(round.fromCache.formatted) from the cache")
        if sharedImages > 0 {
            print("  \(VersionText.count(sharedImages, "frame")) shared by overlapping jobs, kept once (from the job that starts first)")
        }
        if let pinning = round.pinning {
            print("  images from the cloud storage \"\(pinning.storage.displayName)\": \(pinning.prefix)")
        }
        for (task, reason) in round.unpinned {
            print("  task \(task.id) \"\(task.name)\": images not pinned — \(reason)")
        }
    }
}
