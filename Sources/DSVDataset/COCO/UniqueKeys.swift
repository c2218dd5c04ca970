import DSVStorage

/// Finds a repeated image key among an export's 10⁵ keys. The keys' hashes are computed first
/// (on all cores); the table keeps each key's hash beside its index, so a probe compares strings
/// only when the hashes agree — a `Set<String>` compared the strings at every occupied slot it
/// probed.
struct UniqueKeys {
    private let keys: [String]
    private let hashes: [Int]
    /// Open addressing: an index into `keys`, or -1 for an empty slot.
    private var slots: [Int32]
    private let mask: Int

    init(_ keys: [String], hashes: [Int]) {
        var capacity = 16
        while capacity < keys.count * 2 { capacity <<= 1 }
        (self.keys, self.hashes, slots, mask) = (keys, hashes, [Int32](repeating: -1, count: capacity), capacity - 1)
    }

    /// Adds key `index`; false when an equal key was added before.
    mutating func insert(_ index: Int) -> Bool {
        let hash = hashes[index]
        var slot = hash & mask
        while true {
            let other = Int(slots[slot])
            if other < 0 {
                slots[slot] = Int32(index)
                return true
            }
            if hashes[other] == hash && ExactKey(keys[other]) == ExactKey(keys[index]) { return false }
            slot = (slot + 1) & mask
        }
    }
}
