import DSVStorage

extension MaterializeOperation {
    /// `--shard I/N`: the I-th of N disjoint parts of a version, for multi-node training. Images
    /// are ordered by key and dealt round-robin, so the parts differ in size by at most one and
    /// together are exactly the version, on every machine.
    public struct Shard: Sendable, Equatable, CustomStringConvertible {
        /// From 1 to `count`.
        public var index: Int
        public var count: Int

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }

        /// Parses `I/N`; nil with the reason when it is not one.
        public static func parse(_ text: String) -> Result<Shard, ShardSyntaxError> {
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

        func select(_ images: [PinnedImage]) -> [PinnedImage] {
            let sorted = images.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return stride(from: index - 1, to: sorted.count, by: count).map { sorted[$0] }
        }
    }

    public struct ShardSyntaxError: Error, Sendable, CustomStringConvertible {
        public var text: String
        public var reason: String
        public var description: String { "invalid shard '\(text)': \(reason)" }
    }
}
