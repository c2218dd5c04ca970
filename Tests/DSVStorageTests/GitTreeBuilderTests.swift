import DSVNative
import DSVStorage
import Testing

/// A tree built entry by entry from name bytes (a shard directory's) is the tree `GitObject.tree`
/// makes of the same entries: same bytes, same id.
@Suite struct GitTreeBuilderTests {
    @Test func sameTreeAsFromEntries() {
        let names = ["0", "00a", "0f", "1", "a0", "ff"].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let blobs = names.map { GitObject(kind: .blob, content: Array("content of \($0)\n".utf8)) }
        var builder = GitObject.TreeBuilder(capacity: names.count)
        #expect(builder.isEmpty)
        for (name, blob) in zip(names, blobs) {
            Array(name.utf8).withUnsafeBytes { builder.appendBlob(named: $0, id: blob.id) }
        }
        let built = builder.finish()
        let expected = GitObject.tree(zip(names, blobs).map { GitObject.TreeEntry(name: $0, id: $1.id, isTree: false) })
        #expect(built.id == expected.id)
        #expect(built.content == expected.content)
        // Finishing leaves it empty, ready for the next tree.
        #expect(builder.isEmpty)
        #expect(builder.finish().id == GitObject.tree([]).id)
    }
}
