import ArgumentParser
import DSVDataset
import DSVStorage

struct Gc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Pack the repository's objects into one file; with --prune-cache, trim the image cache.",
        discussion: """
            Every object a branch or tag reaches goes into one pack; the other packs and the loose \
            objects go, and so does what no reference reaches (a commit killed before it moved its \
            branch). Commits already keep the number of files bounded as they go (as git's auto-gc); gc \
            does it all at once. Safe at any moment: nothing is removed before the new pack is complete. \
            --prune-cache removes from the materialize cache the images no version among the newest \
            --keep of the current branch, and no tagged version, pins.
            """)

    @OptionGroup var repository: RepositoryOptions

    @Flag(help: "Also remove from the materialize cache what the kept versions do not pin.")
    var pruneCache = false

    @Option(help: ArgumentHelp("With --prune-cache: the newest versions of the current branch whose images stay (tags always do).",
                               valueName: "N"))
    var keep = 10

    @Option(help: ArgumentHelp("The materialize cache (default $XDG_CACHE_HOME/dsv, else ~/.cache/dsv).", valueName: "DIR"))
    var cache: String?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if keep < 1 { throw ValidationError("--keep: at least one version") }
        if !pruneCache && cache != nil { throw ValidationError("--cache goes with --prune-cache") }
    }

    func run() throws {
        let repo = try repository.open()
        let lock = try repo.lockForWriting()
        defer { lock.release() }
        let report = try Housekeeping.collect(repo)
        var pruned: CachePrune.Report?
        if pruneCache {
            pruned = try CachePrune.run(repo, cache: cache.map(repository.resolve) ?? ObjectCache.defaultRoot, keep: keep)
        }
        if json {
            var members: [(String, JSONValue)] = [
                ("packs", .object([("before", .int(report.packsBefore)), ("after", .int(report.packsAfter))])),
                ("loose_objects", .object([("before", .int(report.looseBefore)), ("after", .int(report.looseAfter))])),
                ("bytes", .object([("before", .int(report.bytesBefore)), ("after", .int(report.bytesAfter))])),
                ("objects_packed", .int(report.objectsPacked)),
            ]
            if let pruned {
                members.append(("cache", .object([("versions_kept", .int(pruned.versions)), ("objects_kept", .int(pruned.kept)),
                                                  ("objects_removed", .int(pruned.removed)), ("bytes_freed", .int(pruned.bytesFreed))])))
            }
            print(JSONValue.object(members).pretty)
            return
        }
        print("packed \(VersionText.count(report.objectsPacked, "object")) into \(VersionText.count(report.packsAfter, "pack")) "
              + "(\(VersionText.bytes(report.bytesAfter))); before: \(VersionText.count(report.packsBefore, "pack")), "
              + "\(VersionText.count(report.looseBefore, "loose object")), \(VersionText.bytes(report.bytesBefore))")
        if let pruned {
            print("image cache: removed \(VersionText.count(pruned.removed, "object")) (\(VersionText.bytes(pruned.bytesFreed)) freed); "
                  + "kept \(pruned.kept.formatted) that the newest \(VersionText.count(min(keep, pruned.versions), "version")) and the tagged ones pin")
        }
    }
}
