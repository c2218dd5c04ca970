import DSVNative
import DSVStorage

/// The end of a labeling round, taken straight from CVAT (SPEC §10): the jobs a project, task
/// or job URL names — annotation jobs in the chosen states (completed by default) — exported as
/// COCO 1.0, or taken from the repository's export cache when their `updated_date` has not moved
/// since; each job's export is a source of the version, in its task's subset, the jobs of a task
/// in CVAT's segment order so that a frame overlapping jobs share is kept from the one that
/// starts first. Where a task's data is in an S3 cloud storage, its frames are to be pinned there.
///
/// Nothing here touches the repository's history: a run that stops anywhere leaves the previous
/// version as it was, and the exports it finished in the cache.
public enum CVATRound {
    public struct Request: Sendable {
        public var locations: [CVATLocation]
        public var credentials: CVATCredentials
        /// `--org`: wins over the URLs' `?org=`.
        public var organization: String?
        /// Job states to take (`--state`); completed by default.
        public var states: [String] = ["completed"]
        /// Only jobs in this stage (`--stage`).
        public var stage: String?
        /// Exports at once (`-j`).
        public var concurrency = 4
        /// How long one export may take (`--timeout`).
        public var timeout: Double = 1800
        /// `--images` was given: the tasks' cloud storages are not asked.
        public var imagesGiven = false

        public init(locations: [CVATLocation], credentials: CVATCredentials) {
            self.locations = locations
            self.credentials = credentials
        }
    }

    /// The images of the tasks whose data is in one S3 cloud storage: where they are, and the
    /// keys to pin (their frames' names).
    public struct Pinning: Sendable {
        public var storage: CVATCloudStorage
        public var keys: Set<ExactKey>
        /// `s3://bucket/`: an image's key is its `file_name`, as CVAT names the frame.
        public var prefix: String { "s3://\(storage.bucket)/" }
        /// The folder every key is under, to list no more of the bucket than needed.
        public var listing: S3Location { S3Location(bucket: storage.bucket, prefix: Self.commonFolder(keys)) }

        /// Compared byte for byte, as S3 lists: a `/` never falls inside a character's UTF-8.
        static func commonFolder(_ keys: Set<ExactKey>) -> String {
            guard let first = keys.first else { return "" }
            var common = Array(first.string.utf8)
            for key in keys {
                let shared = zip(common, key.string.utf8).prefix { $0 == $1 }.count
                common.removeLast(common.count - shared)
            }
            guard let slash = common.lastIndex(of: UInt8(ascii: "/")) else { return "" }
            return String(decoding: common[...slash], as: UTF8.self)
        }
    }

    /// What a round fetched.
    public struct Fetched: Sendable {
        public var server: String
        /// The jobs' exports, in the version's order.
        public var sources: [ExportSource]
        public var jobs: [CVATJob]
        public var tasks: [CVATTask]
        public var provenance: CVATProvenance
        public var exported: Int
        public var fromCache: Int
        /// Nil when the tasks have no S3 cloud storage, or when `imagesGiven`.
        public var pinning: Pinning?
        /// Tasks whose images are not pinned, and why.
        public var unpinned: [(task: CVATTask, reason: String)]
        /// The request named the images' prefix (`--images`): no storage was looked up.
        public var imagesGiven: Bool
        let cache: CVATExportCache

        /// Once a version is committed from these exports, older exports of the same jobs go.
        public func pruneCache() { cache.prune(server: server, keeping: jobs) }
    }

    /// - Parameter progress: jobs exported so far, of how many, as exports finish.
    public static func fetch(_ request: Request, cache: CVATExportCache,
                             progress: (Int, Int) -> Void = { _, _ in }) throws(CVATError) -> Fetched {
        let server = request.locations[0].server
        let organization = request.organization ?? request.locations.first(where: { $0.organization != nil })?.organization
        let client = try CVATClient(server: server, organization: organization, credentials: request.credentials)
        var jobs: [CVATJob] = []
        var taken: Set<Int> = []
        var projects: [Int: CVATProject] = [:]
        var tasks: [Int: CVATTask] = [:]
        for location in request.locations {
            for job in try chosenJobs(location, request: request, client: client, projects: &projects) where taken.insert(job.id).inserted {
                jobs.append(job)
            }
            // A project's tasks come a page of 100 at a time, not one request each.
            if case .project(let id) = location.resource {
                for task in try client.tasks([("project_id", String(id))]) { tasks[task.id] = task }
            }
        }
        for job in jobs where tasks[job.taskID] == nil { tasks[job.taskID] = try client.task(job.taskID) }
        for task in tasks.values {
            if let problem = Subset.problem(task.subset.isEmpty ? Subset.defaultName : task.subset) {
                throw .badSubset(task: task.id, name: task.name, subset: JSONValue.string(task.subset).compact, problem: problem)
            }
            if let id = task.projectID, projects[id] == nil { projects[id] = try client.project(id) }
        }
        // CVAT's segment order: a task's jobs by the frame they start at.
        jobs.sort { ($0.taskID, $0.startFrame, $0.id) < ($1.taskID, $1.startFrame, $1.id) }

        do { try cache.prepare() } catch { throw .local(error) }
        let missing = jobs.filter { !cache.contains(server: server, job: $0) }
        let exporter = CVATExporter(client: client)
        exporter.concurrency = max(1, request.concurrency)
        exporter.timeout = request.timeout
        // From here on a failure leaves the exports that finished in the cache, and says how many
        // (all of them once the exporting is done).
        var finished = 0
        let pinned: Pinned
        do {
            try exporter.export(missing.map { ($0, cache.path(server: server, job: $0)) }) { done in
                finished = done
                progress(done, missing.count)
            }
            pinned = request.imagesGiven ? (nil, []) : try Self.pinning(of: jobs.map { tasks[$0.taskID]! }, client: client)
        } catch { throw .afterExports(error, kept: finished) }
        let (pinning, unpinned) = pinned
        let sources = jobs.map { job in
            let task = tasks[job.taskID]!
            return ExportSource(path: cache.path(server: server, job: job), subsetName: task.subset.isEmpty ? nil : task.subset,
                                overlapGroup: task.id, name: "job-\(job.id).zip")
        }
        let orderedTasks = tasks.values.sorted { $0.id < $1.id }
        let provenance = CVATProvenance(
            server: server, sources: request.locations.map(\.description), version: client.version.text,
            projects: projects.values.sorted { $0.id < $1.id }.map { CVATProvenance.Project(id: $0.id, name: $0.name) },
            tasks: orderedTasks.map { task in
                CVATProvenance.Task(id: task.id, name: task.name, projectID: task.projectID, subset: task.subset,
                                    images: pinning.flatMap { $0.tasks.contains(task.id) ? $0.pinning.prefix : nil })
            },
            jobs: jobs.map { CVATProvenance.Job(id: $0.id, taskID: $0.taskID, startFrame: $0.startFrame, stopFrame: $0.stopFrame,
                                                state: $0.state, stage: $0.stage, updatedDate: $0.updatedDate) })
        return Fetched(server: server, sources: sources, jobs: jobs, tasks: orderedTasks, provenance: provenance,
                       exported: missing.count, fromCache: jobs.count - missing.count, pinning: pinning?.pinning,
                       unpinned: unpinned, imagesGiven: request.imagesGiven, cache: cache)
    }

    /// The annotation jobs a URL names, in the states and stage asked for. A job named by its own
    /// URL is taken as it is, whatever its state.
    static func chosenJobs(_ location: CVATLocation, request: Request, client: CVATClient,
                           projects: inout [Int: CVATProject]) throws(CVATError) -> [CVATJob] {
        let (filter, what): ((String, String), String)
        switch location.resource {
        case .job(let id, let task):
            let job = try client.job(id)
            if let task, job.taskID != task { throw .notFound(server: client.server, what: "job \(id) in task \(task)") }
            return [job]
        case .project(let id):
            let project = try client.project(id)
            projects[id] = project
            (filter, what) = (("project_id", String(id)), "project \(id) \"\(project.name)\"")
        case .task(let id):
            let task = try client.task(id)
            (filter, what) = (("task_id", String(id)), "task \(id) \"\(task.name)\"")
        }
        let jobs = try client.jobs([filter, ("type", "annotation")]).filter { job in
            job.type == "annotation" && request.states.contains(job.state) && (request.stage.map { $0 == job.stage } ?? true)
        }
        guard !jobs.isEmpty else {
            let states = request.states.joined(separator: " or ")
            throw .noJobs("\(what) has no \(states) annotation job\(request.stage.map { " in stage \($0)" } ?? ""); nothing committed")
        }
        return jobs
    }

    /// The pinning of the tasks whose images are in one S3 cloud storage (and which tasks those
    /// are), and every other task with the reason its images are not pinned.
    typealias Pinned = (pinning: (pinning: Pinning, tasks: Set<Int>)?, unpinned: [(task: CVATTask, reason: String)])

    /// Where the tasks' images are: pinned from their S3 cloud storage, keyed by their frames'
    /// names; every other task's images are left unpinned, with the reason.
    static func pinning(of tasks: [CVATTask], client: CVATClient) throws(CVATError) -> Pinned {
        var storages: [Int: CVATCloudStorage] = [:]
        var chosen: (storage: CVATCloudStorage, keys: Set<ExactKey>, tasks: Set<Int>)?
        var unpinned: [(task: CVATTask, reason: String)] = []
        var seen: Set<Int> = []
        for task in tasks where seen.insert(task.id).inserted {
            let meta = try client.dataMeta(task: task.id)
            guard let id = task.cloudStorageID ?? meta.cloudStorageID else {
                let reason = client.version >= CVATVersion(2, 44) ? "its data was uploaded to CVAT itself"
                    : "CVAT \(client.version) does not say where its data is (from 2.44 it does); give --images to pin"
                unpinned.append((task, reason))
                continue
            }
            if storages[id] == nil { storages[id] = try client.cloudStorage(id) }
            let storage = storages[id]!
            guard storage.isS3 else {
                unpinned.append((task, "its cloud storage \"\(storage.displayName)\" is \(storage.provider), not AWS S3"))
                continue
            }
            if let current = chosen, current.storage.bucket != storage.bucket || current.storage.endpointURL != storage.endpointURL {
                unpinned.append((task, "its images are in s3://\(storage.bucket)/, and a version pins one bucket (s3://\(current.storage.bucket)/); give --images to choose"))
                continue
            }
            var entry = chosen ?? (storage, [], [])
            entry.keys.formUnion(meta.frameNames.lazy.map { ExactKey($0) })
            entry.tasks.insert(task.id)
            chosen = entry
        }
        return (chosen.map { (Pinning(storage: $0.storage, keys: $0.keys), $0.tasks) }, unpinned)
    }
}

extension CommitOperation.Request {
    /// Makes this the commit of a round taken from CVAT: where its exports came from, and the
    /// images pinned where CVAT reads the frames — the tasks' cloud storage, only the round's
    /// frames, listing no more of the bucket than they need — unless `--images` named a prefix
    /// (`round.imagesGiven`: the round looked up no storage). A round whose tasks have no
    /// cloud storage pins nothing, whatever prefix an earlier commit remembered: those images
    /// live in CVAT, not under it.
    public mutating func take(_ round: CVATRound.Fetched) {
        provenance = round.provenance
        guard !round.imagesGiven else { return }
        imagesPrefix = round.pinning?.prefix
        pinScope = round.pinning.map { ($0.keys, $0.listing) }
    }
}
