/// A flag for each of a few indices, kept in one word while they fit (an image's few
/// annotations, as pairing marks them taken): an array of flags, made for every image a diff
/// compares, cost an allocation and a lookup of the array type's metadata each.
struct IndexFlags {
    private var word: UInt64 = 0
    /// Every flag, when there are more than 64 (then `word` is unused).
    private var spilled: [Bool]

    init(count: Int) { spilled = count > 64 ? [Bool](repeating: false, count: count) : [] }

    subscript(index: Int) -> Bool {
        get { spilled.isEmpty ? word & (1 << UInt64(index)) != 0 : spilled[index] }
        set {
            if !spilled.isEmpty { spilled[index] = newValue }
            else if newValue { word |= 1 << UInt64(index) }
            else { word &= ~(1 << UInt64(index)) }
        }
    }
}
