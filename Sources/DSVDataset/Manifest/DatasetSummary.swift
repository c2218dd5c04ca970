/// `dataset.json`: the small, readable description at the root of every version (SPEC §2).
public struct DatasetSummary: Sendable, Equatable {
    /// The newest repository format this dsv writes (it reads every one up to it).
    public static let formatVersion = 2

    public struct Source: Sendable, Equatable {
        public var name: String
        public var sha256: String
        public var bytes: Int
    }

    /// A subset with its counts; the version's subsets in the order of their names.
    public struct SubsetCounts: Sendable, Equatable {
        public var subset: Subset
        public var images: Int
        public var annotations: Int

        public init(subset: Subset, images: Int, annotations: Int) {
            self.subset = subset
            self.images = images
            self.annotations = annotations
        }
    }

    /// How the version's shards are laid out; it decides the format (`ShardLayout.format`).
    public var shardLayout = ShardLayout.format1
    public var format: Int { shardLayout.format }
    /// `sha256:<hex>` over the canonical content.
    public var manifest: String
    public var imagesPrefix: String?
    public var images: Int
    public var annotations: Int
    /// Category names in the version's order, with their annotation counts.
    public var categories: [(name: String, annotations: Int)]
    public var objectsPinned: Int
    public var shards: Int
    public var sources: [Source]
    public var subsets: [SubsetCounts]
    /// Where the version came from when it was committed straight from CVAT (absent otherwise,
    /// and in every version written before dsv could).
    public var cvat: CVATProvenance?

    public static func == (a: DatasetSummary, b: DatasetSummary) -> Bool { a.json == b.json }

    public var json: JSONValue {
        .object([
            ("format", .int(format)),
            ("manifest", .string(manifest)),
            ("images_prefix", imagesPrefix.map(JSONValue.string) ?? .null),
            ("counts", .object([("images", .int(images)), ("annotations", .int(annotations)),
                                ("categories", .int(categories.count))])),
            ("annotations_per_category", .object(categories.map { ($0.name, .int($0.annotations)) })),
            ("objects_pinned", .int(objectsPinned)),
            ("shards", .int(shards)),
        ] + (shardLayout.format == 1 ? [] : [("shard_bits", .int(shardLayout.bits))]) + [
            ("subsets", .array(subsets.map {
                .object([("name", .string($0.subset.name)), ("task", .string($0.subset.task)),
                         ("images", .int($0.images)), ("annotations", .int($0.annotations))])
            })),
            ("sources", .array(sources.map { .object([("name", .string($0.name)), ("sha256", .string($0.sha256)),
                                                      ("bytes", .int($0.bytes))]) })),
        ] + (cvat.map { [("cvat", $0.json)] } ?? []))
    }

    public var encoded: [UInt8] { Array((json.pretty + "\n").utf8) }

    public init(manifest: String, imagesPrefix: String?, images: Int, annotations: Int,
                categories: [(name: String, annotations: Int)], objectsPinned: Int, shards: Int, sources: [Source],
                subsets: [SubsetCounts]? = nil, shardLayout: ShardLayout = .format1) {
        self.shardLayout = shardLayout
        self.manifest = manifest
        self.imagesPrefix = imagesPrefix
        self.images = images
        self.annotations = annotations
        self.categories = categories
        self.objectsPinned = objectsPinned
        self.shards = shards
        self.sources = sources
        self.subsets = subsets ?? Self.defaultSubsetOnly(images: images, annotations: annotations)
    }

    public init(decoding bytes: [UInt8]) throws(ShardCodec.Corrupt) {
        guard let value = try? JSONValue.parse(bytes), let manifest = value["manifest"]?.stringValue,
              let counts = value["counts"], let images = counts["images"]?.intValue,
              let annotations = counts["annotations"]?.intValue else { throw ShardCodec.Corrupt() }
        let format = value["format"]?.intValue ?? 1
        guard let layout = ShardLayout(format: format, bits: value["shard_bits"]?.intValue) else {
            throw ShardCodec.Corrupt(format > Self.formatVersion
                ? "it is in repository format \(format), newer than this dsv reads (\(Self.formatVersion)): upgrade dsv"
                : "its format \(format) and shard bits \(value["shard_bits"]?.compact ?? "none") do not go together")
        }
        shardLayout = layout
        self.manifest = manifest
        imagesPrefix = value["images_prefix"]?.stringValue
        cvat = value["cvat"].flatMap(CVATProvenance.init(json:))
        self.images = images
        self.annotations = annotations
        categories = (value["annotations_per_category"]?.objectValue ?? []).map { ($0.0, $0.1.intValue ?? 0) }
        objectsPinned = value["objects_pinned"]?.intValue ?? 0
        shards = value["shards"]?.intValue ?? 0
        sources = (value["sources"]?.arrayValue ?? []).map {
            Source(name: $0["name"]?.stringValue ?? "", sha256: $0["sha256"]?.stringValue ?? "", bytes: $0["bytes"]?.intValue ?? 0)
        }
        if let listed = value["subsets"]?.arrayValue {
            subsets = try listed.map { (item) throws(ShardCodec.Corrupt) in
                let task = item["task"]?.stringValue ?? Subset.defaultTask
                guard let name = item["name"]?.stringValue else { throw ShardCodec.Corrupt("a subset without a name") }
                // Names become folders and file names of a checkout: one from a foreign writer
                // that could leave the output folder is refused before anything is written.
                for (what, text) in [("subset", name), ("task", task)] {
                    if let problem = Subset.problem(text) {
                        throw ShardCodec.Corrupt("it names the \(what) \(JSONValue.string(text).compact), which cannot be one: \(problem)")
                    }
                }
                return SubsetCounts(subset: Subset(name: name, task: task),
                                    images: item["images"]?.intValue ?? 0, annotations: item["annotations"]?.intValue ?? 0)
            }
            guard !subsets.isEmpty else { throw ShardCodec.Corrupt() }
        } else {
            subsets = Self.defaultSubsetOnly(images: images, annotations: annotations)
        }
    }

    /// The subsets of a version that lists none (written before subsets existed): all of it is `default`.
    static func defaultSubsetOnly(images: Int, annotations: Int) -> [SubsetCounts] {
        [SubsetCounts(subset: .default, images: images, annotations: annotations)]
    }
}
