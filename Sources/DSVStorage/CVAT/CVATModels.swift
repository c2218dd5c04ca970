import DSVJSON

/// CVAT's read models, as much of them as a round needs. Each is read from the API's JSON
/// leniently — fields CVAT added in later versions may be absent — but a field dsv relies on
/// that is missing or of the wrong type makes the answer unexpected, never a guess.

/// A job (`GET /api/jobs/{id}`).
public struct CVATJob: Sendable, Hashable {
    public var id: Int
    public var taskID: Int
    public var projectID: Int?
    public var startFrame: Int
    public var stopFrame: Int
    /// new, in progress, completed, rejected.
    public var state: String
    /// annotation, validation, acceptance.
    public var stage: String
    /// annotation, ground_truth, consensus_replica (before 2.5 every job is an annotation job).
    public var type: String
    /// As the server wrote it: it changes whenever the job's annotations do.
    public var updatedDate: String

    public init(id: Int, taskID: Int, projectID: Int?, startFrame: Int, stopFrame: Int, state: String, stage: String,
                type: String, updatedDate: String) {
        (self.id, self.taskID, self.projectID, self.startFrame, self.stopFrame) = (id, taskID, projectID, startFrame, stopFrame)
        (self.state, self.stage, self.type, self.updatedDate) = (state, stage, type, updatedDate)
    }

    init?(_ value: JSONValue) {
        guard let id = value["id"]?.intValue, let task = value["task_id"]?.intValue,
              let start = value["start_frame"]?.intValue, let stop = value["stop_frame"]?.intValue,
              let updated = value["updated_date"]?.stringValue else { return nil }
        self.init(id: id, taskID: task, projectID: value["project_id"]?.intValue, startFrame: start, stopFrame: stop,
                  state: value["state"]?.stringValue ?? "", stage: value["stage"]?.stringValue ?? "",
                  type: value["type"]?.stringValue ?? "annotation", updatedDate: updated)
    }
}

/// A task (`GET /api/tasks/{id}`).
public struct CVATTask: Sendable, Hashable {
    public var id: Int
    public var name: String
    public var projectID: Int?
    /// Train, Validation, …; empty when the task has none.
    public var subset: String
    public var overlap: Int
    public var segmentSize: Int
    public var size: Int
    /// The cloud storage its data comes from (servers from 2.44 say; nil: unknown or none).
    public var cloudStorageID: Int?

    init?(_ value: JSONValue) {
        guard let id = value["id"]?.intValue, let name = value["name"]?.stringValue else { return nil }
        self.id = id
        self.name = name
        projectID = value["project_id"]?.intValue
        subset = value["subset"]?.stringValue ?? ""
        overlap = value["overlap"]?.intValue ?? 0
        segmentSize = value["segment_size"]?.intValue ?? 0
        size = value["size"]?.intValue ?? 0
        cloudStorageID = value["data_cloud_storage_id"]?.intValue
    }
}

/// A project (`GET /api/projects/{id}`).
public struct CVATProject: Sendable, Hashable {
    public var id: Int
    public var name: String

    init?(_ value: JSONValue) {
        guard let id = value["id"]?.intValue, let name = value["name"]?.stringValue else { return nil }
        self.id = id
        self.name = name
    }
}

/// A task's media (`GET /api/tasks/{id}/data/meta`): its frames' names, the keys of their
/// objects when the data is in a cloud storage.
public struct CVATDataMeta: Sendable {
    public var frameNames: [String]
    /// Servers from 2.44 name the cloud storage here too.
    public var cloudStorageID: Int?

    init?(_ value: JSONValue) {
        guard let frames = value["frames"]?.arrayValue else { return nil }
        frameNames = frames.compactMap { $0["name"]?.stringValue }
        guard frameNames.count == frames.count else { return nil }
        cloudStorageID = value["cloud_storage_id"]?.intValue
    }
}

/// A cloud storage (`GET /api/cloudstorages/{id}`). For AWS S3 the bucket is its `resource`, and
/// `specific_attributes` is a query string that may hold `endpoint_url` and `region`.
public struct CVATCloudStorage: Sendable, Hashable {
    public var id: Int
    public var provider: String
    public var bucket: String
    public var displayName: String
    public var endpointURL: String?
    public var region: String?

    public var isS3: Bool { provider == "AWS_S3_BUCKET" }

    init?(_ value: JSONValue) {
        guard let id = value["id"]?.intValue, let provider = value["provider_type"]?.stringValue,
              let resource = value["resource"]?.stringValue else { return nil }
        self.id = id
        self.provider = provider
        bucket = resource
        displayName = value["display_name"]?.stringValue ?? resource
        var attributes: [String: String] = [:]
        for pair in (value["specific_attributes"]?.stringValue ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { attributes[URIEncoding.decode(parts[0])] = URIEncoding.decode(parts[1]) }
        }
        endpointURL = attributes["endpoint_url"].flatMap { $0.isEmpty ? nil : $0 }
        region = attributes["region"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A CVAT version as `GET /api/server/about` reports it (`2.26.2`, `2.10.3-dev`): what decides
/// the export flow.
public struct CVATVersion: Sendable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var text: String

    public init?(_ text: String) {
        let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard numbers.count >= 2 else { return nil }
        (major, minor, self.text) = (numbers[0], numbers[1], text)
    }

    public init(_ major: Int, _ minor: Int) { (self.major, self.minor, text) = (major, minor, "\(major).\(minor)") }

    /// `POST …/dataset/export` and `GET /api/requests/{id}`, from 2.16.
    public var hasRequestsAPI: Bool { self >= CVATVersion(2, 16) }

    public static func < (a: CVATVersion, b: CVATVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    public static func == (a: CVATVersion, b: CVATVersion) -> Bool { (a.major, a.minor) == (b.major, b.minor) }
    public var description: String { text }
}
