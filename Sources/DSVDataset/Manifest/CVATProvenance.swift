import DSVStorage

/// Where a version committed straight from CVAT came from (`dataset.json`'s `cvat`): the server
/// (its URL without credentials), the URLs given, the projects and tasks, and every job taken,
/// with its frames, state, stage and `updated_date` — enough to say which labels, in which
/// state of review, a model was trained on. It describes the version; it is not part of the
/// manifest, so a re-export with the same labels is still "nothing changed".
public struct CVATProvenance: Sendable, Equatable {
    public struct Project: Sendable, Equatable {
        public var id: Int
        public var name: String
    }

    public struct Task: Sendable, Equatable {
        public var id: Int
        public var name: String
        public var projectID: Int?
        /// The task's subset as CVAT has it ("" for none).
        public var subset: String
        /// The images' location when they were pinned from the task's cloud storage.
        public var images: String?
    }

    public struct Job: Sendable, Equatable {
        public var id: Int
        public var taskID: Int
        public var startFrame: Int
        public var stopFrame: Int
        public var state: String
        public var stage: String
        public var updatedDate: String
    }

    public var server: String
    /// The URLs the version was committed from, without credentials.
    public var sources: [String]
    public var version: String
    public var projects: [Project]
    public var tasks: [Task]
    public var jobs: [Job]

    public init(server: String, sources: [String], version: String, projects: [Project], tasks: [Task], jobs: [Job]) {
        (self.server, self.sources, self.version) = (server, sources, version)
        (self.projects, self.tasks, self.jobs) = (projects, tasks, jobs)
    }

    public var json: JSONValue {
        .object([
            ("server", .string(server)),
            ("sources", .array(sources.map(JSONValue.string))),
            ("server_version", .string(version)),
            ("projects", .array(projects.map { .object([("id", .int($0.id)), ("name", .string($0.name))]) })),
            ("tasks", .array(tasks.map { task in
                .object([("id", .int(task.id)), ("name", .string(task.name)), ("project_id", task.projectID.map(JSONValue.int) ?? .null),
                         ("subset", .string(task.subset)), ("images", task.images.map(JSONValue.string) ?? .null)])
            })),
            ("jobs", .array(jobs.map { job in
                .object([("id", .int(job.id)), ("task_id", .int(job.taskID)), ("start_frame", .int(job.startFrame)),
                         ("stop_frame", .int(job.stopFrame)), ("state", .string(job.state)), ("stage", .string(job.stage)),
                         ("updated_date", .string(job.updatedDate))])
            })),
        ])
    }

    /// Reads it back; nil for anything that is not one (a version written by something else).
    public init?(json value: JSONValue) {
        guard let server = value["server"]?.stringValue else { return nil }
        self.server = server
        sources = value["sources"]?.arrayValue?.compactMap(\.stringValue) ?? []
        version = value["server_version"]?.stringValue ?? ""
        projects = (value["projects"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"]?.intValue else { return nil }
            return Project(id: id, name: item["name"]?.stringValue ?? "")
        }
        tasks = (value["tasks"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"]?.intValue else { return nil }
            return Task(id: id, name: item["name"]?.stringValue ?? "", projectID: item["project_id"]?.intValue,
                        subset: item["subset"]?.stringValue ?? "", images: item["images"]?.stringValue)
        }
        jobs = (value["jobs"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"]?.intValue, let task = item["task_id"]?.intValue else { return nil }
            return Job(id: id, taskID: task, startFrame: item["start_frame"]?.intValue ?? 0, stopFrame: item["stop_frame"]?.intValue ?? 0,
                       state: item["state"]?.stringValue ?? "", stage: item["stage"]?.stringValue ?? "",
                       updatedDate: item["updated_date"]?.stringValue ?? "")
        }
    }

    /// "CVAT https://cvat.example.com/projects/3 (12 jobs)", as `log` names a version's source.
    public var headline: String {
        let where_ = sources.count == 1 ? sources[0] : server
        return "CVAT \(where_) (\(jobs.count) job\(jobs.count == 1 ? "" : "s"))"
    }
}
