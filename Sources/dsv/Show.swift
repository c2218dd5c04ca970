import ArgumentParser
import DSVDataset
import DSVStorage

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Describe a version: counts, categories, S3 prefix, manifest.")

    @OptionGroup var repository: RepositoryOptions

    @Argument(help: "The version.")
    var revision: String = "HEAD"

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let repo = try repository.open()
        let version = try StoredVersion(repository: repo, commitID: try repo.resolve(revision))
        let summary = version.summary
        if json {
            print(VersionJSON.full(version).pretty)
            return
        }
        print(Style.commit("commit \(version.commit.id.hex)"))
        print("Author: \(version.commit.author.name) <\(version.commit.author.email)>")
        print("Date:   \(version.commit.author.displayedTime)")
        print()
        for line in version.message.split(separator: "\n", omittingEmptySubsequences: false) { print("    \(line)") }
        print()
        print("images:        \(summary.images.formatted)")
        print("annotations:   \(summary.annotations.formatted)")
        print("categories:    \(summary.categories.count.formatted)")
        print("subsets:       " + summary.subsets.map {
            "\($0.subset.name) (\(VersionText.count($0.images, "image")), \(VersionText.count($0.annotations, "annotation")))"
        }.joined(separator: ", "))
        if let prefix = summary.imagesPrefix {
            print("images prefix: \(prefix) (\(VersionText.count(summary.objectsPinned, "object")) pinned)")
        } else {
            print("images prefix: none — this version pins no S3 objects")
        }
        print("manifest:      \(summary.manifest)")
        if !summary.categories.isEmpty {
            print()
            print("annotations per category:")
            let names = summary.categories.map { TerminalText.name($0.name) }
            let width = names.map(\.count).max() ?? 0
            for (name, (_, count)) in zip(names, summary.categories) {
                print("  \(name.padding(width))  \(count.formatted)")
            }
        }
        if let cvat = summary.cvat { printProvenance(cvat) }
        print()
        print("sources:")
        for source in summary.sources {
            print("  \(TerminalText.name(source.name))  \(VersionText.bytes(source.bytes))  sha256:\(source.sha256)")
        }
    }

    /// Where a version committed from CVAT came from: projects, tasks, and every job's frames,
    /// state and stage, and when it last changed.
    func printProvenance(_ cvat: CVATProvenance) {
        print()
        print("from CVAT \(cvat.server) (\(cvat.version)): \(cvat.sources.joined(separator: " "))")
        for project in cvat.projects { print("  project \(project.id)  \(TerminalText.name(project.name))") }
        let jobsByTask = Dictionary(grouping: cvat.jobs, by: \.taskID)
        for task in cvat.tasks {
            let subset = task.subset.isEmpty ? Subset.defaultName : task.subset
            print("  task \(task.id)  \(TerminalText.name(task.name))  (subset \(TerminalText.name(subset))\(task.images.map { ", images in \($0)" } ?? ", images not pinned"))")
            for job in jobsByTask[task.id] ?? [] {
                print("    job \(job.id)  frames \(job.startFrame)–\(job.stopFrame)  \(job.state), \(job.stage)  updated \(job.updatedDate)")
            }
        }
    }
}

/// The JSON forms of a version (SPEC §7).
enum VersionJSON {
    static func brief(_ version: StoredVersion, tags: [String]) -> JSONValue {
        .object([
            ("commit", .string(version.commit.id.hex)),
            ("message", .string(version.message)),
            ("author", .string(version.commit.author.name)),
            ("email", .string(version.commit.author.email)),
            ("date", .string(version.commit.author.iso8601Time)),
            ("tags", .array(tags.map(JSONValue.string))),
            ("images", .int(version.summary.images)),
            ("annotations", .int(version.summary.annotations)),
            ("manifest", .string(version.summary.manifest)),
            ("source", version.summary.cvat.map { .string($0.headline) } ?? .null),
        ])
    }

    static func full(_ version: StoredVersion) -> JSONValue {
        let summary = version.summary
        return .object([
            ("commit", .string(version.commit.id.hex)),
            ("parents", .array(version.commit.parents.map { .string($0.hex) })),
            ("message", .string(version.message)),
            ("author", .string(version.commit.author.name)),
            ("email", .string(version.commit.author.email)),
            ("date", .string(version.commit.author.iso8601Time)),
            ("images", .int(summary.images)),
            ("annotations", .int(summary.annotations)),
            ("categories", .object(summary.categories.map { ($0.name, .int($0.annotations)) })),
            ("subsets", .object(summary.subsets.map { ($0.subset.name, .int($0.images)) })),
            ("images_prefix", summary.imagesPrefix.map(JSONValue.string) ?? .null),
            ("objects_pinned", .int(summary.objectsPinned)),
            ("manifest", .string(summary.manifest)),
            ("sources", summary.json["sources"] ?? .array([])),
            ("cvat", summary.cvat?.json ?? .null),
        ])
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
