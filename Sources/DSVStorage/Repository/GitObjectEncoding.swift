import Glibc
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
        // Entries usually come in order already (a version's shards do): then they are not sorted.
        let sorted = zip(entries, entries.dropFirst()).allSatisfy { TreeEntry.precedes($0, $1) }
            ? entries : entries.sorted(by: TreeEntry.precedes)
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

    /// A tree's content written entry by entry, straight from name bytes the caller has at hand:
    /// for trees whose entries come in git's order already (a shard directory's: blobs whose
    /// names are hex numbers of one length, ascending), without a `TreeEntry` — a `String` — per
    /// entry. A version's 47k shard names cost 10 ms as strings.
    public struct TreeBuilder {
        private var content: [UInt8] = []

        public init(capacity: Int = 0) {
            content.reserveCapacity(capacity * 32)
        }

        /// A blob named by `name`, which follows the entry before in git's order.
        public mutating func appendBlob(named name: UnsafeRawBufferPointer, id: GitObjectID) {
            content.append(contentsOf: "100644 ".utf8)
            content.append(contentsOf: name)
            content.append(0)
            id.withBytes { content.append(contentsOf: $0) }
        }

        public var isEmpty: Bool { content.isEmpty }

        /// The tree, and the builder empty again.
        public mutating func finish() -> GitObject {
            defer { content.removeAll(keepingCapacity: true) }
            return GitObject(kind: .tree, content: content)
        }
    }

    /// A commit object, composed as libgit2's `git_commit_create` composes it (the same bytes,
    /// so the same id): the tree, the parents, the author as committer too, `encoding UTF-8`,
    /// a blank line and the message. Composed here so that a commit can go into the pack with
    /// the version it records (`PackStream`) rather than be written loose by libgit2. The
    /// signature is refused or trimmed as libgit2 would (`GitSignature.normalized`).
    public static func commit(tree: GitObjectID, parents: [GitObjectID], author: GitSignature,
                              message: String) throws(GitError) -> GitObject {
        let signature = try author.normalized().line
        var text = "tree \(tree)\n"
        for parent in parents { text += "parent \(parent)\n" }
        text += "author \(signature)\ncommitter \(signature)\nencoding UTF-8\n\n"
        // libgit2 takes the message as a C string: it ends at a NUL, if any.
        text += message.split(separator: "\0", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return GitObject(kind: .commit, content: Array(text.utf8))
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

        /// git's order: by the name's bytes, a tree's name as if it ended in '/' (names hold
        /// no '/', so one name can only be a prefix of the other).
        static func precedes(_ a: TreeEntry, _ b: TreeEntry) -> Bool {
            var (x, y) = (a.name, b.name)
            return x.withUTF8 { first in
                y.withUTF8 { second in
                    let common = min(first.count, second.count)
                    let order = common == 0 ? 0 : memcmp(first.baseAddress!, second.baseAddress!, common)
                    if order != 0 { return order < 0 }
                    // The byte after the common part: the name's own, '/' ending a tree, or none.
                    func next(_ name: UnsafeBufferPointer<UInt8>, _ isTree: Bool) -> Int {
                        name.count > common ? Int(name[common]) : isTree ? Int(UInt8(ascii: "/")) : -1
                    }
                    return next(first, a.isTree) < next(second, b.isTree)
                }
            }
        }
    }
}
