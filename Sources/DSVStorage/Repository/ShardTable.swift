import DSVNative

/// The shard cache's entries by fingerprint: an open-addressing table of 32-bit positions into
/// two arrays (fingerprints, entries). Every commit loads the whole cache — one entry per shard,
/// 55,000 for train2017 — and a `Dictionary` of 104-byte buckets took 15 ms to build, most of a
/// next round's serial start; this builds in about one. A fingerprint is uniformly random under
/// the cache's secret key, so its low bits index the table as they are.
public struct ShardTable: Sendable {
    private var fingerprints: [Fingerprint] = []
    private var values: [ShardCache.Entry] = []
    /// Positions into the arrays, -1 for an empty slot; a power of two, at least twice `count`.
    private var slots: [Int32] = []

    public init() {}

    /// The entries given; a later duplicate replaces an earlier one.
    public init(_ entries: [(Fingerprint, ShardCache.Entry)]) {
        reserveCapacity(entries.count)
        for (fingerprint, entry) in entries { self[fingerprint] = entry }
    }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }
    public var keys: [Fingerprint] { fingerprints }
    /// Every (fingerprint, entry), in the order they were first added.
    public var pairs: [(Fingerprint, ShardCache.Entry)] { Array(zip(fingerprints, values)) }

    public mutating func reserveCapacity(_ count: Int) {
        fingerprints.reserveCapacity(count)
        values.reserveCapacity(count)
        if slots.count < 2 * count { rehash(capacity: count) }
    }

    public subscript(fingerprint: Fingerprint) -> ShardCache.Entry? {
        get {
            guard !slots.isEmpty else { return nil }
            let position = find(fingerprint)
            return position.found ? values[Int(slots[position.slot])] : nil
        }
        set {
            // Entries are only ever added or replaced.
            guard let newValue else { preconditionFailure("ShardTable does not remove entries") }
            if slots.count < 2 * (count + 1) { rehash(capacity: max(1024, 2 * count)) }
            let position = find(fingerprint)
            if position.found {
                values[Int(slots[position.slot])] = newValue
            } else {
                slots[position.slot] = Int32(values.count)
                fingerprints.append(fingerprint)
                values.append(newValue)
            }
        }
    }

    /// The slot holding `fingerprint`, or the empty slot where it would go (linear probing).
    @inline(__always)
    private func find(_ fingerprint: Fingerprint) -> (slot: Int, found: Bool) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: fingerprint.low) & mask
        while true {
            let position = slots[slot]
            if position < 0 { return (slot, false) }
            if fingerprints[Int(position)] == fingerprint { return (slot, true) }
            slot = (slot + 1) & mask
        }
    }

    /// Slots for at least `capacity` entries at half load, every entry placed again.
    private mutating func rehash(capacity: Int) {
        var size = 1024
        while size < 2 * capacity { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        // Fingerprints are distinct: each finds the empty slot where it goes.
        for (position, fingerprint) in fingerprints.enumerated() { slots[find(fingerprint).slot] = Int32(position) }
    }
}
