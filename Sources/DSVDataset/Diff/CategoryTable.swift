import DSVJSON
import DSVNative

/// Category id → name of one subset, each name with the member that stands for the annotation's
/// `category_id` in its content (`"category":"car"`): made once per subset, not once for each
/// annotation compared (a wide diff compares tens of thousands).
///
/// A lookup hands out an index, not a copy of an entry: the table is read by every annotation
/// on every core, and copying its strings (reference counted, the counts on cache lines both
/// cores write) cost more than the rest of the lookup. Small integer ids, as CVAT and COCO
/// number categories, are found by position without hashing. A class: passed to each
/// annotation read, it is one reference, not five.
public final class CategoryTable: Sendable {
    private let names: [String]
    /// Every entry's member, one after the other (`memberEnds[i]` is where entry `i`'s ends).
    private let members: [UInt8]
    private let memberEnds: [Int32]
    /// Entry of each integer id below `dense.count`, or -1.
    private let dense: [Int32]
    private let others: [IDKey: Int32]
    /// Every id names entry 0 (`init(everyID:)`).
    private let single: Bool

    static let denseLimit: Int64 = 4096

    /// The table of a side without the image: no category.
    static let none = CategoryTable([:])

    public convenience init(_ names: [IDKey: String]) {
        self.init(Array(names), single: false)
    }

    /// A table that names every id `name`: an annotation's own category, standing for its one
    /// `category_id` when its content is made again.
    convenience init(everyID name: String) {
        self.init([(.integer(0), name)], single: true)
    }

    private init(_ entries: [(IDKey, String)], single: Bool) {
        var (members, memberEnds, dense, others): ([UInt8], [Int32], [Int32], [IDKey: Int32]) = ([], [], [], [:])
        for (index, (key, name)) in entries.enumerated() {
            members.append(contentsOf: #""category":"#.utf8)
            JSONString.encode(name, into: &members)
            memberEnds.append(Int32(members.count))
            if case .integer(let id) = key, id >= 0, id < Self.denseLimit {
                if dense.count <= Int(id) { dense += repeatElement(-1, count: Int(id) + 1 - dense.count) }
                dense[Int(id)] = Int32(index)
            } else {
                others[key] = Int32(index)
            }
        }
        (self.names, self.members, self.memberEnds, self.dense, self.others, self.single)
            = (entries.map(\.1), members, memberEnds, dense, others, single)
    }

    /// The entry of the id value at `range` of `bytes`; nil for one the subset does not name.
    func entry(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int32? {
        if single { return 0 }
        if let id = WholeNumber.value(bytes, range) { return entry(.integer(id)) }
        return others.isEmpty ? nil : others[IDKey(bytes, range)]
    }

    func entry(_ key: IDKey) -> Int32? {
        if single { return 0 }
        if case .integer(let id) = key, id >= 0, id < Int64(dense.count), dense[Int(id)] >= 0 { return dense[Int(id)] }
        return others.isEmpty ? nil : others[key]
    }

    /// The category of an entry, or of an id the subset does not name (shown by its id).
    func name(_ entry: Int32?, _ key: @autoclosure () -> IDKey) -> String {
        guard let entry else { return "category \(key())" }
        return names[Int(entry)]
    }

    /// `body` given the `"category":…` member of an entry, or of an id the subset does not name.
    func withMember<R>(_ entry: Int32?, _ key: @autoclosure () -> IDKey, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard let entry else {
            var member = Array(#""category":"#.utf8)
            JSONString.encode(name(nil, key()), into: &member)
            return member.withUnsafeBytes(body)
        }
        let start = entry == 0 ? 0 : Int(memberEnds[Int(entry) - 1])
        return members.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<Int(memberEnds[Int(entry)])])) }
    }
}
