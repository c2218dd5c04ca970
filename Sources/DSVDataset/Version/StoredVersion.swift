import Dispatch
import DSVNative
import DSVStorage

/// A version as stored in the repository: its commit, `dataset.json`, and lazy access to the
/// header, the order stream and the shards. Shards are read by number, so a diff can read only
/// those whose blob ids differ.
public struct StoredVersion: Sendable {
    public let commit: GitCommit
    public let summary: DatasetSummary
    let shardsTree: GitObjectID
    let headerBlob: GitObjectID
    let orderBlob: GitObjectID
    let repository: DatasetRepository

    /// Reads the version at `commitID`; a commit that is not a dsv version is `corruptVersion`.
    public init(repository: DatasetRepository, commitID: GitObjectID) throws(RepositoryError) {
        self.repository = repository
        do {
            commit = try repository.git.commit(commitID)
            let root = try repository.git.tree(commit.tree)
            func entry(_ name: String) throws(RepositoryError) -> GitTreeEntry {
                guard let found = root.first(where: { $0.name == name }) else {
                    throw .corruptVersion("\(commitID.short) has no \(name); is it a dsv version?")
                }
                return found
            }
            let database = try repository.git.objectDatabase()
            do { summary = try DatasetSummary(decoding: try database.read(try entry("dataset.json").id)) }
            catch is ShardCodec.Corrupt { throw RepositoryError.corruptVersion("\(commitID.short): unreadable dataset.json") }
            headerBlob = try entry("header.zst").id
            orderBlob = try entry("order.zst").id
            shardsTree = try entry("shards").id
        } catch let error as RepositoryError {
            throw error
        } catch let error as GitError {
            throw .git(error)
        } catch {
            fatalError("unexpected error \(error)")
        }
    }

    /// Blob id of each non-empty shard, by shard number (reads the 256 `shards/xx` trees).
    public func shardBlobs() throws(RepositoryError) -> [Int: GitObjectID] {
        var blobs: [Int: GitObjectID] = [:]
        do {
            for directory in try repository.git.tree(shardsTree) where directory.isTree {
                for file in try repository.git.tree(directory.id) {
                    guard let number = ShardLayout.shard(directory: directory.name, name: file.name) else {
                        throw RepositoryError.corruptVersion("\(commit.id.short): unexpected shards/\(directory.name)/\(file.name)")
                    }
                    blobs[number] = file.id
                }
            }
        } catch let error as RepositoryError {
            throw error
        } catch let error as GitError {
            throw .git(error)
        } catch {
            fatalError("unexpected error \(error)")
        }
        return blobs
    }

    /// The version's manifest digest (`sha256:…`).
    public var manifest: String { summary.manifest }

    public func header() throws(RepositoryError) -> [UInt8] { try decompressedBlob(headerBlob, what: "header") }

    public func order() throws(RepositoryError) -> OrderStream {
        do { return try OrderStream.decode(try decompressedBlob(orderBlob, what: "order stream")) }
        catch { throw .corruptVersion("\(commit.id.short): corrupt order stream") }
    }

    /// The records of the given shards (all by default), shard by shard in ascending number,
    /// keys ascending within: the manifest's ordinal order. Decompression runs in parallel.
    public func records(shards wanted: [Int]? = nil) throws(RepositoryError) -> [[ImageRecord]] {
        let shardBlobs = try shardBlobs()
        let numbers = (wanted ?? Array(shardBlobs.keys)).sorted()
        var compressed: [[UInt8]] = []
        compressed.reserveCapacity(numbers.count)
        do {
            let database = try repository.git.objectDatabase()
            for number in numbers {
                guard let blob = shardBlobs[number] else { compressed.append([]); continue }
                compressed.append(try database.read(blob))
            }
        } catch { throw .git(error) }
        let slots = ResultSlots<[ImageRecord]>(count: numbers.count)
        let input = compressed
        Parallel.forEach(numbers.count, makeState: { ZstdDecompressor() }) { decompressor, index in
            guard !input[index].isEmpty, let raw = try? decompressor.decompress(input[index]),
                  let records = try? ShardCodec.decode(raw) else { return }
            slots[index] = records
        }
        var result: [[ImageRecord]] = []
        result.reserveCapacity(numbers.count)
        for (index, number) in numbers.enumerated() {
            if shardBlobs[number] == nil { result.append([]); continue }
            guard let records = slots[index] else {
                throw .corruptVersion("\(commit.id.short): shard \(number) is corrupt")
            }
            result.append(records)
        }
        return result
    }

    func decompressedBlob(_ id: GitObjectID, what: String) throws(RepositoryError) -> [UInt8] {
        do {
            return try Zstd.decompress(try repository.git.objectDatabase().read(id))
        } catch let error as GitError {
            throw .git(error)
        } catch {
            throw .corruptVersion("\(commit.id.short): corrupt \(what)")
        }
    }

    /// The message the user wrote, without the `Dsv-Manifest` trailer.
    public var message: String { CommitMessage.userMessage(commit.message) }
}

/// Commit messages of versions end with a `Dsv-Manifest: sha256:<hex>` trailer.
public enum CommitMessage {
    public static let trailer = "Dsv-Manifest"

    public static func compose(_ message: String, manifest: String) -> String {
        var text = message
        while text.hasSuffix("\n") { text.removeLast() }
        return "\(text)\n\n\(trailer): \(manifest)\n"
    }

    public static func manifest(in message: String) -> String? {
        for line in message.split(separator: "\n").reversed() where line.hasPrefix("\(trailer): ") {
            return String(line.dropFirst(trailer.count + 2))
        }
        return nil
    }

    public static func userMessage(_ message: String) -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false)
        while let last = lines.last, last.isEmpty || last.hasPrefix("\(trailer): ") { lines.removeLast() }
        return lines.joined(separator: "\n")
    }
}
