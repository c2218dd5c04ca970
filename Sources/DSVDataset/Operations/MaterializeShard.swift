import DSVNative
import DSVStorage

extension MaterializeOperation {
    /// `--shard I/N`: the I-th of N disjoint parts of a version, for multi-node training. Images
    /// are ordered by key and dealt round-robin, so the parts differ in size by at most one and
    /// together are exactly the version, on every machine.
    public struct Shard: Sendable, Equatable, CustomStringConvertible {
        /// From 1 to `count`.
        public var index: Int
        public var count: Int
        /// The launcher's variables it was taken from (`--shard auto`), e.g. `RANK/WORLD_SIZE`.
        public var source: String?

        public init(index: Int, count: Int, source: String? = nil) {
            self.index = index
            self.count = count
            self.source = source
        }

        /// The variables training launchers set, as (rank, size) name pairs, in the order they
        /// are asked: torchrun (and torch.distributed), Slurm, Open MPI. Ranks count from 0.
        public static let launchers = [("RANK", "WORLD_SIZE"), ("SLURM_PROCID", "SLURM_NTASKS"),
                                       ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE")]

        /// Parses `I/N`, or `auto`: this process's part from the launcher's variables (see
        /// `launchers`); the reason when it is neither.
        public static func parse(_ text: String, environment: (String) -> String? = ProcessEnvironment.value) -> Result<Shard, ShardSyntaxError> {
            if text == "auto" { return fromLauncher(environment) }
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
                return .failure(ShardSyntaxError(text: text, reason: "expected I/N, e.g. 1/4"))
            }
            guard count >= 1, (1...count).contains(index) else {
                return .failure(ShardSyntaxError(text: text, reason: "I counts from 1 to N"))
            }
            return .success(Shard(index: index, count: count))
        }

        public var description: String { "\(index)/\(count)" }

        static func fromLauncher(_ environment: (String) -> String?) -> Result<Shard, ShardSyntaxError> {
            for (rankName, sizeName) in launchers {
                guard let rankText = environment(rankName), let sizeText = environment(sizeName) else { continue }
                guard let rank = Int(rankText), let size = Int(sizeText), size >= 1, (0..<size).contains(rank) else {
                    return .failure(ShardSyntaxError(text: "auto", reason: "\(rankName)=\(rankText) and \(sizeName)=\(sizeText) name no part (0 ≤ rank < size)"))
                }
                return .success(Shard(index: rank + 1, count: size, source: "\(rankName)/\(sizeName)"))
            }
            let names = launchers.map { "\($0.0) and \($0.1)" }.joined(separator: ", ")
            return .failure(ShardSyntaxError(text: "auto", reason: "no launcher set \(names); give I/N"))
        }

        public var json: JSONValue {
            .object([("index", .int(index)), ("count", .int(count)), ("from", source.map(JSONValue.string) ?? .null)])
        }

        func select(_ images: [PinnedImage]) -> [PinnedImage] {
            let sorted = images.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return stride(from: index - 1, to: sorted.count, by: count).map { sorted[$0] }
        }
    }

    public struct ShardSyntaxError: Error, Sendable, CustomStringConvertible {
        public var text: String
        public var reason: String
        public var description: String { text == "auto" ? "--shard auto: \(reason)" : "invalid shard '\(text)': \(reason)" }
    }
}
