import DSVNative

/// How the annotations of one image changed (SPEC §6): exact matches by content first, then
/// pairs by box IoU ≥ 0.5 within a category ("modified"), then identical geometry across
/// categories ("relabeled"); the rest were added or removed.
public struct AnnotationChanges: Sendable {
    public var added: [DiffAnnotation] = []
    public var removed: [DiffAnnotation] = []
    public var modified: [AnnotationPair] = []
    public var relabeled: [AnnotationPair] = []
    public var unchanged = 0

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && modified.isEmpty && relabeled.isEmpty }

    public static let iouThreshold = 0.5

    public init(from old: [DiffAnnotation], to new: [DiffAnnotation]) {
        // 1. Exact matches by content, as multisets (duplicate identical annotations count);
        // then the same content written otherwise.
        let (taken, exactLeft) = Self.pairSameContent(old, new)
        var oldRest = old.indices.filter { !taken[$0] }
        let newLeft = Self.removeRewritten(old, &oldRest, new, exactLeft)
        unchanged = new.count - newLeft.count
        // 2. Greedy pairs by IoU within a category, best pairs first.
        var pairs: [(iou: Double, old: Int, new: Int)] = []
        if oldRest.count * newLeft.count <= OverlapSearch.pairwiseLimit {
            for n in newLeft {
                for o in oldRest where old[o].category == new[n].category {
                    let iou = Self.iou(old[o], new[n])
                    if iou >= Self.iouThreshold { pairs.append((iou, o, n)) }
                }
            }
        } else {
            let search = OverlapSearch(old, candidates: oldRest)
            for n in newLeft { search.forEachOverlap(of: new[n]) { o, iou in pairs.append((iou, o, n)) } }
        }
        pairs.sort { $0.iou != $1.iou ? $0.iou > $1.iou : ($0.old, $0.new) < ($1.old, $1.new) }
        var usedOld = IndexFlags(count: old.count), usedNew = IndexFlags(count: new.count)
        var kept: [(old: Int, new: Int)] = []
        for pair in pairs where !usedOld[pair.old] && !usedNew[pair.new] {
            usedOld[pair.old] = true
            usedNew[pair.new] = true
            kept.append((pair.old, pair.new))
        }
        oldRest.removeAll { usedOld[$0] }
        var newRest = newLeft.filter { !usedNew[$0] }
        // 3. Identical geometry across categories: each new annotation takes the first old one
        // (in order) of another category with its geometry (canonical: written alike or not;
        // for one without geometry, all it says but its category — `relabelKey`). Equal
        // geometries have equal boxes.
        let relabels = Self.pairCanonically(old, &oldRest, new, newRest, bucket: { $0.box }, canonical: { $0.relabelKey },
                                            allowing: { $0.category != $1.category })
        for (o, n) in relabels {
            relabeled.append(AnnotationPair(from: old[o], to: new[n]))
            usedNew[n] = true
        }
        newRest.removeAll { usedNew[$0] }
        added = newRest.map { new[$0] }
        removed = oldRest.map { old[$0] }
        // Sorted as positions, then gathered once: sorting the pairs themselves moved two
        // annotations at every step (a fifth of comparing an image of 20,000 annotations).
        let boxes = kept.map { new[$0.new].box }
        modified = kept.indices.sorted { Self.boxPrecedes(boxes[$0], boxes[$1]) ?? Self.boxPrecedes(new[kept[$0].new], new[kept[$1].new]) }
            .map { AnnotationPair(from: old[kept[$0].old], to: new[kept[$0].new]) }
    }

    /// `VersionDiff.pairEqual` by content (`SameContent`), without wrapping an image's few
    /// annotations to compare them pairwise (a copy of each).
    static func pairSameContent(_ old: [DiffAnnotation], _ new: [DiffAnnotation]) -> (taken: IndexFlags, unmatched: [Int]) {
        guard old.count * new.count <= VersionDiff.pairwiseLimit else {
            return VersionDiff.pairEqual(old.map(SameContent.init), new.map(SameContent.init))
        }
        return VersionDiff.pairPairwise(old.count, new.count) { old[$0].sameContent(as: new[$1]) }
    }

    /// The changes with their annotations' bytes in one buffer of their own, each annotation a
    /// slice of it: kept for a review, they would otherwise keep both whole records of their
    /// image alive — at 1.18M images half of them changed, gigabytes of annotations that did not
    /// change. (A buffer for each annotation was an allocation each, a fiftieth of a wide status.)
    mutating func compact() {
        var storage: [UInt8] = [], ranges: [Range<Int>] = []
        func each(_ body: (DiffAnnotation) -> Void) {
            added.forEach(body)
            removed.forEach(body)
            modified.forEach { body($0.from); body($0.to) }
            relabeled.forEach { body($0.from); body($0.to) }
        }
        var total = 0
        each { total += $0.template.bytes.count }
        storage.reserveCapacity(total)
        each { annotation in
            let start = storage.count
            annotation.template.bytes.withUnsafeBufferPointer { storage.append(contentsOf: $0) }
            ranges.append(start..<storage.count)
        }
        // Sliced once every byte is in (a slice taken earlier would keep a buffer outgrown), in
        // place: a copy of each annotation would count its references up and down again.
        var next = 0
        func rebase(_ annotation: inout DiffAnnotation) {
            annotation.rebase(onto: storage[ranges[next]])
            next += 1
        }
        for index in added.indices { rebase(&added[index]) }
        for index in removed.indices { rebase(&removed[index]) }
        for index in modified.indices { rebase(&modified[index].from); rebase(&modified[index].to) }
        for index in relabeled.indices { rebase(&relabeled[index].from); rebase(&relabeled[index].to) }
    }

    /// Takes out of `oldRest` and of the new annotations `newLeft` the pairs that are the same
    /// annotation written otherwise (`canonicalContent`: members in another order, `111.70` for
    /// `111.7` — a tool that rewrote the export); returns the new ones left. Two such have the
    /// same category and box.
    static func removeRewritten(_ old: [DiffAnnotation], _ oldRest: inout [Int], _ new: [DiffAnnotation], _ newLeft: [Int]) -> [Int] {
        struct Place: Hashable {
            var category: String?
            var box: DiffAnnotation.Box?
        }
        let pairs = pairCanonically(old, &oldRest, new, newLeft, bucket: { Place(category: $0.category, box: $0.box) },
                                    canonical: { $0.canonicalContent })
        guard !pairs.isEmpty else { return newLeft }
        let paired = Set(pairs.map(\.new))
        return newLeft.filter { !paired.contains($0) }
    }

    /// Pairs each of the new annotations `news`, in order, with the first old one of `oldRest`
    /// (in order, not yet paired) in its `bucket` that `allowing` lets it pair with and whose
    /// `canonical` text is its own, and takes the paired ones out of `oldRest`. Canonical texts
    /// are made only for annotations whose bucket meets one on the other side, each once: what
    /// decides equality must put equal annotations in one bucket (their category and box, say),
    /// so that a round's moved, added and removed annotations are rarely read again.
    static func pairCanonically<Bucket: Hashable>(_ old: [DiffAnnotation], _ oldRest: inout [Int], _ new: [DiffAnnotation], _ news: [Int],
                                                  bucket: (DiffAnnotation) -> Bucket, canonical: (DiffAnnotation) -> ContentBytes,
                                                  allowing: (DiffAnnotation, DiffAnnotation) -> Bool = { _, _ in true })
        -> [(old: Int, new: Int)] {
        guard !oldRest.isEmpty && !news.isEmpty else { return [] }
        // An image's few leftovers are compared bucket to bucket in place: a dictionary of them
        // cost more (a thirtieth of a wide diff) than the rare canonical texts.
        if oldRest.count * news.count <= VersionDiff.pairwiseLimit {
            let oldBuckets = oldRest.map { bucket(old[$0]) }
            var taken = IndexFlags(count: oldRest.count), pairs: [(old: Int, new: Int)] = []
            var oldCanonical = [ContentBytes?](repeating: nil, count: oldRest.count)
            for n in news {
                let newBucket = bucket(new[n])
                var text: ContentBytes?
                for slot in oldRest.indices where !taken[slot] && oldBuckets[slot] == newBucket && allowing(old[oldRest[slot]], new[n]) {
                    if text == nil { text = canonical(new[n]) }
                    if oldCanonical[slot] == nil { oldCanonical[slot] = canonical(old[oldRest[slot]]) }
                    guard oldCanonical[slot] == text else { continue }
                    taken[slot] = true
                    pairs.append((oldRest[slot], n))
                    break
                }
            }
            if !pairs.isEmpty { oldRest = oldRest.indices.compactMap { taken[$0] ? nil : oldRest[$0] } }
            return pairs
        }
        var oldIn: [Bucket: [Int]] = [:]
        for o in oldRest { oldIn[bucket(old[o]), default: []].append(o) }
        var oldCanonical: [Int: ContentBytes] = [:]
        var taken = Set<Int>(), pairs: [(old: Int, new: Int)] = []
        for n in news {
            guard let candidates = oldIn[bucket(new[n])] else { continue }
            let text = canonical(new[n])
            let match = candidates.first { o in
                guard !taken.contains(o), allowing(old[o], new[n]) else { return false }
                if oldCanonical[o] == nil { oldCanonical[o] = canonical(old[o]) }
                return oldCanonical[o] == text
            }
            guard let match else { continue }
            taken.insert(match)
            pairs.append((match, n))
        }
        if !taken.isEmpty { oldRest.removeAll { taken.contains($0) } }
        return pairs
    }

    /// Modified pairs are listed by their new box, in the order of its numbers (the boxes' four
    /// numbers when both have exactly four, as nearly all do: no array is made).
    static func boxPrecedes(_ a: DiffAnnotation, _ b: DiffAnnotation) -> Bool {
        boxPrecedes(a.box, b.box) ?? (a.bbox ?? []).lexicographicallyPrecedes(b.bbox ?? [])
    }

    /// The same for two boxes of exactly four numbers; nil for any other (their whole `bbox`
    /// values decide).
    static func boxPrecedes(_ p: Box?, _ q: Box?) -> Bool? {
        guard let p, let q, p.count == 4, q.count == 4 else { return nil }
        if p.x != q.x { return p.x < q.x }
        if p.y != q.y { return p.y < q.y }
        if p.width != q.width { return p.width < q.width }
        return p.height < q.height
    }

    typealias Box = DiffAnnotation.Box

    /// Intersection over union of two annotations' `[x, y, w, h]` boxes; 0 when either has
    /// none. Two boxes of no area are alike (1) when their `bbox` values are equal.
    static func iou(_ a: DiffAnnotation, _ b: DiffAnnotation) -> Double {
        guard let p = a.box, let q = b.box else { return 0 }
        let x1 = max(p.x, q.x), y1 = max(p.y, q.y)
        let x2 = min(p.x + p.width, q.x + q.width), y2 = min(p.y + p.height, q.y + q.height)
        let intersection = max(0, x2 - x1) * max(0, y2 - y1)
        let union = p.width * p.height + q.width * q.height - intersection
        if union > 0 { return intersection / union }
        return (p.count == 4 && q.count == 4 ? p == q : a.bbox == b.bbox) ? 1 : 0
    }
}

/// An annotation and what it became (modified or relabeled). A struct, not a tuple: one side of
/// a tuple read out of an array copied the whole tuple first (both annotations' references), a
/// stored property of a struct is read in place.
public struct AnnotationPair: Sendable {
    public var from: DiffAnnotation
    public var to: DiffAnnotation

    public init(from: DiffAnnotation, to: DiffAnnotation) {
        self.from = from
        self.to = to
    }
}

/// An annotation as a key of exact matching: hashed by what equal contents share (its box, else
/// its content's digest), equal by content.
struct SameContent: Hashable {
    let annotation: DiffAnnotation

    static func == (a: SameContent, b: SameContent) -> Bool { a.annotation.sameContent(as: b.annotation) }

    func hash(into hasher: inout Swift.Hasher) { annotation.hashContent(into: &hasher) }
}

/// An annotation's content or geometry as compact bytes: compared with one `memcmp` and hashed
/// as one run (an array of bytes would hash and compare them one by one).
struct ContentBytes: Sendable, Hashable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func == (a: ContentBytes, b: ContentBytes) -> Bool {
        a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in ByteSearch.equal(x, y) } }
    }

    func hash(into hasher: inout Swift.Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }

    /// The digest `ByteDigest` gives these bytes.
    var digest: UInt64 {
        var digest = ByteDigest()
        bytes.withUnsafeBytes { digest.add($0) }
        return digest.value
    }
}

/// A 64-bit digest of bytes given in pieces, the same however they are split — so a geometry
/// digested member by member as it is scanned equals the digest of its compact text. Taken
/// eight bytes at a time (a byte-at-a-time FNV-1a over every changed polygon was a tenth of a
/// wide diff's comparing); a collision only costs a comparison of the bytes.
struct ByteDigest {
    private var state: UInt64 = 0x243F_6A88_85A3_08D3
    /// The bytes not yet mixed in (fewer than eight), little-endian.
    private var tail: UInt64 = 0
    private var tailCount = 0
    private var length: UInt64 = 0

    mutating func add(_ byte: UInt8) {
        tail |= UInt64(byte) << (8 * tailCount)
        tailCount += 1
        length += 1
        if tailCount == 8 {
            mix(tail)
            (tail, tailCount) = (0, 0)
        }
    }

    /// A piece of eight bytes or more is read a word at a time at both ends too: the bytes that
    /// complete the pending word, and the last few, each come from one unaligned load of the
    /// piece's own bytes (read byte by byte, the ends of a text digested member by member were
    /// half the digest's time).
    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        guard count >= 8 else {
            for byte in bytes { add(byte) }
            return
        }
        var index = 0
        if tailCount != 0 {
            // The low bytes of the first word complete the pending one; the rest of it spills
            // past bit 63 and is read again below.
            index = 8 - tailCount
            mix(tail | UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)) << (8 * tailCount))
            (tail, tailCount) = (0, 0)
        }
        while count - index >= 8 {
            mix(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
            index += 8
        }
        let rest = count - index
        if rest > 0 {
            // The top `rest` bytes of the piece's last eight.
            tail = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)) >> (8 * (8 - rest))
            tailCount = rest
        }
        length += UInt64(count)
    }

    private mutating func mix(_ word: UInt64) {
        state = (state ^ word) &* 0x9E37_79B9_7F4A_7C15
        state ^= state >> 29
    }

    var value: UInt64 {
        var digest = self
        digest.mix(tail)
        var z = digest.state ^ length
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

