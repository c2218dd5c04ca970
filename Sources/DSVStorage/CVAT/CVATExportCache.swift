import DSVNative

/// Every job export a round downloaded, kept in the repository (`.dsv/cvat-exports/`) by server,
/// job and `updated_date`: CVAT changes a job's `updated_date` whenever its annotations change,
/// so the next round exports again only the jobs whose date moved, and a run that stopped half
/// way (a dead server, kill -9) keeps what it had downloaded. Files are only ever renamed into
/// place complete (`CVATExporter`). A job's older exports go once a version is committed from a
/// newer one, so the cache holds about one export per job.
public struct CVATExportCache: Sendable {
    public let directory: String
    /// Part of every name: a change of what is exported (format, options) starts afresh.
    static let layout = "coco1"

    public init(repository: DatasetRepository) {
        directory = joinPath(repository.path, "cvat-exports")
    }

    /// Where the export of `job` as it is now lives (whether or not it is there yet).
    public func path(server: String, job: CVATJob) -> String {
        joinPath(directory, "\(prefix(server: server, job: job.id))\(Self.digest(job.updatedDate)).zip")
    }

    public func contains(server: String, job: CVATJob) -> Bool {
        FileSystem.exists(path(server: server, job: job))
    }

    /// Creates the folder, and removes what runs that were killed left half written.
    public func prepare() throws(SystemError) {
        try FileSystem.createDirectories(directory)
        FileSystem.removeAbandonedTemporaries(in: directory)
    }

    /// Removes the exports of these jobs other than the current ones.
    public func prune(server: String, keeping jobs: [CVATJob]) {
        let current = Set(jobs.map { FileSystem.lastComponent(of: path(server: server, job: $0)) })
        let prefixes = Set(jobs.map { prefix(server: server, job: $0.id) })
        for name in FileSystem.entries(of: directory) where !current.contains(name) && prefixes.contains(where: { name.hasPrefix($0) }) {
            FileSystem.remove(joinPath(directory, name))
        }
    }

    private func prefix(server: String, job: Int) -> String {
        "\(Self.layout)-\(Self.digest(server))-job\(job)-"
    }

    static func digest(_ text: String) -> String {
        String(hexString(Hasher.digest(.sha256, text)).prefix(16))
    }
}
