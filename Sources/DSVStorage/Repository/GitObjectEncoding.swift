import DSVNative

/// The kinds of git object dsv writes, with their pack type numbers.
public enum GitObjectKind: UInt8, Sendable {
    case commit = 1
    case tree = 2
    case blob = 3

    var name: String {
        switch self {
        case .commit: "commit"
        case .tree: "tree"
        case .blob: "blob"
        }
    }
}

/// A git object ready to be stored: its kind, content and id.
public struct GitObject: Sendable {
    public let kind: GitObjectKind
    public let content: [UInt8]
    public let id: GitObjectID

    public init(kind: GitObjectKind, content: [UInt8]) {
        self.kind = kind
        self.content = content
        self.id = GitObject.id(kind: kind, content: content)
    }

    /// The object id git gives this content: SHA-1 of "<kind> <size>\0<content>".
    public static func id(kind: GitObjectKind, content: [UInt8]) -> GitObjectID {
        let hasher = Hasher(.sha1)
        hasher.update("\(kind.name) \(content.count)\0")
        hasher.update(content)
        return hasher.finish { GitObjectID(bytes: $0) }
    }

    /// A tree object from its entries; entries are sorted as git requires (a subtree's name
    /// compares as if it ended in "/").
    public static func tree(_ entries: [TreeEntry]) -> GitObject {
        // git's order: by name, a tree's name as if it ended in '/' (each key made once, not
        // once per comparison).
        let sorted = entries.map { (key: Array($0.name.utf8) + ($0.isTree ? [UInt8(ascii: "/")] : []), entry: $0) }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.entry)
        var content: [UInt8] = []
        content.reserveCapacity(sorted.count * 32)
        for entry in sorted {
            content.append(contentsOf: (entry.isTree ? "40000 " : "100644 ").utf8)
            content.append(contentsOf: entry.name.utf8)
            content.append(0)
            entry.id.withBytes { content.append(contentsOf: $0) }
        }
        return GitObject(kind: .tree, content: content)
    }

    public struct TreeEntry: Sendable {
        public let name: String
        public let id: GitObjectID
        public let isTree: Bool

        public init(name: String, id: GitObjectID, isTree: Bool) {
            self.name = name
            self.id = id
            self.isTree = isTree
        }
    }
}
