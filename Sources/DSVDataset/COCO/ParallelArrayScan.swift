import DSVJSON
import Dispatch
import DSVNative

/// Scans a top-level array of objects (`images`, `annotations`): on all cores when it is large.
///
/// The array is cut speculatively: from evenly spaced guesses, each cut moves forward to the next
/// place where one element ends and the next begins *the way the first element began* (for
/// CVAT, `},{"id":`; whitespace allowed around the comma, as `json.dump` and pretty-printers
/// write it). Each worker scans from its cut until it reaches the next one. A cut is
/// trusted only if the worker before it, scanning from a trusted start, lands exactly on it;
/// otherwise (the pattern occurred inside a nested object or a string, or the array ended before
/// it) that worker simply carries on sequentially from where it stopped. The result — entries,
/// errors and their positions — is therefore exactly that of a sequential scan.
enum ParallelArrayScan {
    /// Below this, one core is as fast.
    static let minimumBytes = 8 << 20

    struct Chunk<Reader: ElementReader> {
        var reader: Reader
        var entries: [Reader.Entry] = []
        var end = 0
        var spaced = false
        var error: JSONSyntaxError?
        /// How the chunk stopped: on the next cut, past it, or at the array's `]`.
        var outcome = Outcome.landed
        enum Outcome { case landed, overshot, ended }
    }

    /// `scanner` is at the `[` of the array `key`. An array smaller than `minimumBytes` is read
    /// as one chunk (beside the work `beside`, when given). Returns nil when the array does not
    /// begin with an object (or is not an array at all); the caller then scans it sequentially.
    /// Each chunk is read by a reader of its own, from `makeReader`; they are returned in the
    /// array's order.
    /// - Parameter likelyEnd: where the array seems to end, when the caller has a guess; else
    ///   it is taken to run to the end of the bytes. Only where the cuts are guessed, and the
    ///   room reserved, depend on it: guessed over the whole rest of the file, the `images`
    ///   array's one cut fell among the annotations that follow it, and one core read every
    ///   image (27 of a 118k-image status's 300 ms, 20 split).
    /// - Parameter beside: work to run on a core of its own beside the chunks (reading the
    ///   array before this one); it has run by the time this returns or throws.
    static func scan<Reader: ElementReader>(_ scanner: inout JSONScanner, key: String, likelyEnd: Int? = nil,
                                            beside: Beside? = nil, makeReader: @escaping @Sendable () -> Reader)
        throws(JSONSyntaxError) -> (range: Range<Int>, spaced: Bool, entries: [Reader.Entry], readers: [Reader])? {
        let bytes = scanner.bytes
        let start = scanner.position
        let end = min(likelyEnd ?? bytes.count, bytes.count)
        let workers = SystemInfo.processorCount
        // The first element's opening up to its first ':' is the pattern that starts elements.
        var first = start + 1
        while first < bytes.count, bytes[first] <= 0x20 { first += 1 }
        guard start < bytes.count, bytes[start] == UInt8(ascii: "["), first < bytes.count, bytes[first] == UInt8(ascii: "{") else {
            beside?.work()
            return nil
        }
        // Cut where each core's share of this array and the work beside it ends: the chunk
        // beside that work is the smaller.
        var cuts: [Int] = [first]
        if workers > 1, end - start >= minimumBytes {
            var colon = first
            while colon < min(bytes.count, first + 64), bytes[colon] != UInt8(ascii: ":") { colon += 1 }
            if colon < bytes.count, bytes[colon] == UInt8(ascii: ":") {
                let pattern = Array(bytes[first...colon])
                let total = end - start + (beside?.weight ?? 0)
                for k in 1..<workers {
                    let guess = max(cuts.last! + 1, start + total * k / workers)
                    guard guess < end, let found = find(pattern, in: bytes, from: guess, limit: 4 << 20) else { break }
                    cuts.append(found)  // the element's '{'
                }
            }
        }
        if cuts.count == 1 && beside == nil {
            guard workers == 1 || end - start < minimumBytes else { return nil }
            let chunk = scanChunk(bytes, from: first, until: .max, extent: end - first, key: key, reader: makeReader())
            if let error = chunk.error { throw error }
            scanner.position = chunk.end
            return (start..<chunk.end, chunk.spaced, chunk.entries, [chunk.reader])
        }

        let slots = ResultSlots<Chunk<Reader>>(count: cuts.count)
        let boundaries = cuts
        let shared = SharedBytes(bytes: bytes)
        // The work beside is the first taken, by the first thread to start.
        let offset = beside == nil ? 0 : 1
        DispatchQueue.concurrentPerform(iterations: boundaries.count + offset) { iteration in
            guard iteration >= offset else { return beside!.work() }
            let index = iteration - offset
            let next = index + 1 < boundaries.count ? boundaries[index + 1] : Int.max
            // The first chunk's array will receive the others: it reserves room for all of them.
            let extent = (index == 0 || next == .max ? end : next) - boundaries[index]
            slots[index] = scanChunk(shared.bytes, from: boundaries[index], until: next, extent: extent, key: key, reader: makeReader())
        }
        var entries: [Reader.Entry] = []
        var readers: [Reader] = []
        var spaced = false
        var index = 0
        while true {
            // Moved out of its slot, so that appending to the first chunk's array does not copy it.
            var chunk = slots[index]!
            slots[index] = nil
            if index == 0 { swap(&entries, &chunk.entries) } else { entries += chunk.entries }
            readers.append(chunk.reader)
            spaced = spaced || chunk.spaced
            if let error = chunk.error { throw error }
            switch chunk.outcome {
            case .ended:
                scanner.position = chunk.end
                return (start..<chunk.end, spaced, entries, readers)
            case .landed where index + 1 < boundaries.count:
                index += 1
            case .landed, .overshot:
                // The next cut was not a real boundary: go on sequentially from here.
                let rest = scanChunk(bytes, from: chunk.end, until: Int.max, extent: 0, key: key, reader: makeReader())
                entries += rest.entries
                readers.append(rest.reader)
                if let error = rest.error { throw error }
                scanner.position = rest.end
                return (start..<rest.end, spaced || rest.spaced, entries, readers)
            }
        }
    }

    /// Scans elements from `from` (an element's start) until the position after a separator
    /// reaches `until`, or the array ends. The entries' array reserves, once a sample of elements
    /// gives their size, room for `extent` bytes of them: growing it by doubling copied and paged
    /// in each entry several times, which cost more than scanning (reserved room that is never
    /// used is never touched, so it costs no memory).
    static func scanChunk<Reader: ElementReader>(_ bytes: UnsafeRawBufferPointer, from: Int, until: Int, extent: Int,
                                                 key: String, reader: Reader) -> Chunk<Reader> {
        var chunk = Chunk(reader: reader)
        var scanner = JSONScanner(bytes, position: from)
        do throws(JSONSyntaxError) {
            while true {
                let elementStart = scanner.position
                guard scanner.peek() == UInt8(ascii: "{") else { throw try COCOReader.notAnObject(&scanner, key: key) }
                if chunk.entries.count == sample {
                    let expected = expectedCount(extent: extent, sampleBytes: elementStart - from)
                    chunk.entries.reserveCapacity(expected)
                    chunk.reader.reserve(expected)
                }
                scanner.sawWhitespace = false
                chunk.entries.append(try chunk.reader.read(&scanner, elementStart))
                chunk.spaced = chunk.spaced || scanner.sawWhitespace
                scanner.skipWhitespace()
                let c = scanner.peek()
                if c == UInt8(ascii: "]") {
                    scanner.position += 1
                    chunk.end = scanner.position
                    chunk.outcome = .ended
                    return chunk
                }
                guard c == UInt8(ascii: ",") else { throw scanner.unexpected(expected: "',' or ']'") }
                scanner.position += 1
                scanner.skipWhitespace()
                if scanner.position >= until {
                    chunk.end = scanner.position
                    chunk.outcome = scanner.position == until ? .landed : .overshot
                    return chunk
                }
            }
        } catch {
            chunk.error = error
            chunk.end = scanner.position
            return chunk
        }
    }

    /// Elements sampled before room is reserved for the rest.
    static let sample = 256

    /// How many elements `extent` bytes likely hold, from the first `sample` elements'
    /// `sampleBytes`, and a quarter more so that the guess is seldom short: room to reserve.
    static func expectedCount(extent: Int, sampleBytes: Int) -> Int {
        let averageBytes = max(1, sampleBytes / sample)
        return extent / averageBytes + extent / averageBytes / 4 + sample
    }

    /// The first place from `from` on (within `limit` bytes) where `pattern` starts and the
    /// bytes before it are `}`, `,` and whitespace around the comma: where an element may start.
    static func find(_ pattern: [UInt8], in bytes: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int? {
        let end = min(bytes.count - pattern.count, from + limit)
        guard from <= end else { return nil }
        var i = from
        let first = pattern[0]
        while i <= end {
            if bytes[i] == first {
                var matched = true
                for j in 1..<pattern.count where bytes[i + j] != pattern[j] {
                    matched = false
                    break
                }
                if matched, follows(i, in: bytes) { return i }
            }
            i += 1
        }
        return nil
    }

    /// Whether `}`, then `,`, then `position` follow one another with only whitespace between.
    static func follows(_ position: Int, in bytes: UnsafeRawBufferPointer) -> Bool {
        var j = position - 1
        while j >= 0, bytes[j] <= 0x20 { j -= 1 }
        guard j >= 0, bytes[j] == UInt8(ascii: ",") else { return false }
        j -= 1
        while j >= 0, bytes[j] <= 0x20 { j -= 1 }
        return j >= 0 && bytes[j] == UInt8(ascii: "}")
    }
}

/// Work a parallel scan runs beside its chunks, on a core of its own.
struct Beside: Sendable {
    let work: @Sendable () -> Void
    /// Its cost, in bytes of the scanned array's that take as long to read.
    let weight: Int
}

/// Reads the elements of one array, one after another: the entry of each, and whatever the reader
/// learns on the way (kept in the array's order). A parallel scan gives each chunk its own.
protocol ElementReader: Sendable {
    associatedtype Entry: Sendable
    /// `scanner` is at the element's `{`, at `start`; the element is consumed.
    mutating func read(_ scanner: inout JSONScanner, _ start: Int) throws(JSONSyntaxError) -> Entry
    /// About `count` elements are coming.
    mutating func reserve(_ count: Int)
}
