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
        /// The entries read once the chunk's room (`Room`) was full, or all of them without one.
        var entries: [Reader.Entry] = []
        /// The entries written in the chunk's room, from its start.
        var written = 0
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

        let boundaries = cuts
        // Room for every chunk's entries in one buffer, each chunk its own part, sized from the
        // first elements with a quarter more: a chunk writes its entries straight into their
        // place, and the parts are closed up at the end by moving each down over the room the
        // one before left unused. Appending each chunk's own array to the first's copied it into
        // fresh pages, on one core after the others: 27–32 ms of a 0.5 s `json.dump` next round
        // at train2017's size, most of it page faults.
        let averageBytes = averageElementBytes(bytes, from: first, until: end)
        var roomStarts = [0]
        for index in boundaries.indices {
            let next = index + 1 < boundaries.count ? boundaries[index + 1] : end
            roomStarts.append(roomStarts.last! + expectedCount(extent: max(0, next - boundaries[index]), averageBytes: averageBytes))
        }
        let rooms = roomStarts
        var assembled: Assembled<Reader>?
        var failure: JSONSyntaxError?
        var entries = [Reader.Entry](unsafeUninitializedCapacity: rooms.last!) { buffer, initialized in
            let slots = ResultSlots<Chunk<Reader>>(count: boundaries.count)
            let shared = SharedBytes(bytes: bytes)
            let base = Parallel.SharedBuffer(base: buffer.baseAddress)
            // The work beside is the first taken, by the first thread to start.
            let offset = beside == nil ? 0 : 1
            DispatchQueue.concurrentPerform(iterations: boundaries.count + offset) { iteration in
                guard iteration >= offset else { return beside!.work() }
                let index = iteration - offset
                let next = index + 1 < boundaries.count ? boundaries[index + 1] : Int.max
                // The first chunk's reader will receive what the others learned: it reserves
                // room for all of them.
                let extent = (index == 0 || next == .max ? end : next) - boundaries[index]
                let room = Room(start: base.base! + rooms[index], capacity: rooms[index + 1] - rooms[index])
                slots[index] = scanChunk(shared.bytes, from: boundaries[index], until: next, extent: extent, key: key,
                                         reader: makeReader(), room: room)
            }
            do throws(JSONSyntaxError) {
                assembled = try assemble(slots, count: boundaries.count, rooms: rooms, in: buffer, filled: &initialized,
                                         bytes: bytes, key: key, makeReader: makeReader)
            } catch {
                failure = error
            }
            // Past the entries, the pages the moves left behind hold nothing: given back (half a
            // megabyte of a 10k-image commit's peak).
            let unused = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[(initialized * MemoryLayout<Reader.Entry>.stride)...])
            MemoryPages.release(unused)
        }
        if let failure { throw failure }
        let result = assembled!
        // What did not fit where it belonged (a chunk that outgrew its room, or one read on
        // after a cut that was no boundary), copied after the rest.
        if !result.spilled.isEmpty { Trace.note("\(key): \(result.spilled.count) entries past their chunks' rooms") }
        entries += result.spilled
        scanner.position = result.end
        return (start..<result.end, result.spaced, entries, result.readers)
    }

    /// What the chunks of a parallel scan come to, besides the entries in place.
    struct Assembled<Reader: ElementReader> {
        var readers: [Reader] = []
        var spaced = false
        var end = 0
        /// Entries that follow those in place.
        var spilled: [Reader.Entry] = []
    }

    /// Takes the chunks in order, as a sequential scan would have read them, closing their
    /// entries up at the start of `buffer` (`filled` counts them) until one ends the array; a
    /// chunk that overshot its cut is followed by a sequential scan from where it stopped, and
    /// the chunks after it are dropped. Once an entry cannot go in place (a chunk outgrew its
    /// room into the next chunk's, or the scan went on sequentially), it and every entry after
    /// it are moved out to `spilled`. Every entry left in a room is deinitialized, also when a
    /// chunk's error is thrown.
    static func assemble<Reader: ElementReader>(_ slots: ResultSlots<Chunk<Reader>>, count: Int, rooms: [Int],
                                                in buffer: UnsafeMutableBufferPointer<Reader.Entry>, filled: inout Int,
                                                bytes: UnsafeRawBufferPointer, key: String,
                                                makeReader: () -> Reader) throws(JSONSyntaxError) -> Assembled<Reader> {
        let base = buffer.baseAddress!
        var result = Assembled<Reader>()
        var taken = 0
        // The rooms of the chunks not taken hold entries to let go.
        defer {
            for index in taken..<count {
                if let chunk = slots.take(index) { (base + rooms[index]).deinitialize(count: chunk.written) }
            }
        }
        while true {
            let index = taken
            var chunk = slots.take(index)!
            taken += 1
            // In place while each part lands below the next room, else spilled from here on.
            let inRoom = base + rooms[index]
            if result.spilled.isEmpty && filled + chunk.written + chunk.entries.count <= rooms[index + 1] {
                (base + filled).moveInitialize(from: inRoom, count: chunk.written)
                filled += chunk.written
                (base + filled).initialize(from: chunk.entries, count: chunk.entries.count)
                filled += chunk.entries.count
            } else {
                result.spilled.reserveCapacity(result.spilled.count + chunk.written + chunk.entries.count)
                for i in 0..<chunk.written { result.spilled.append((inRoom + i).move()) }
                result.spilled += chunk.entries
            }
            chunk.entries = []
            result.readers.append(chunk.reader)
            result.spaced = result.spaced || chunk.spaced
            if let error = chunk.error { throw error }
            switch chunk.outcome {
            case .ended:
                result.end = chunk.end
                return result
            case .landed where index + 1 < count:
                continue
            case .landed, .overshot:
                // The next cut was not a real boundary: go on sequentially from here.
                let rest = scanChunk(bytes, from: chunk.end, until: Int.max, extent: 0, key: key, reader: makeReader())
                result.spilled += rest.entries
                result.readers.append(rest.reader)
                result.spaced = result.spaced || rest.spaced
                if let error = rest.error { throw error }
                result.end = rest.end
                return result
            }
        }
    }

    /// The average size of the array's first `sample` elements (or of as many as there are),
    /// skipped without reading them: what the rooms of a parallel scan are sized by. Never
    /// under `smallestElement`, which it is when they cannot be told (the chunks then find
    /// what is wrong), so that room is never reserved for more elements than could fit.
    static func averageElementBytes(_ bytes: UnsafeRawBufferPointer, from first: Int, until end: Int) -> Int {
        var scanner = JSONScanner(bytes, position: first)
        var elements = 0
        do throws(JSONSyntaxError) {
            while elements < sample && scanner.position < end {
                _ = try scanner.scanValue()
                elements += 1
                scanner.skipWhitespace()
                guard scanner.peek() == UInt8(ascii: ",") else { break }
                scanner.position += 1
                scanner.skipWhitespace()
            }
        } catch {
            return smallestElement
        }
        return elements == 0 ? smallestElement : max(smallestElement, (scanner.position - first) / elements)
    }

    /// Bytes of the smallest element a room is sized for: `{"id":1,"file_name":""}` and
    /// `{"id":1,"image_id":1}` take more; an array of smaller ones outgrows its rooms and is
    /// copied together as it used to be.
    static let smallestElement = 16

    /// Where a chunk writes its entries, until `capacity` are written.
    struct Room<Entry> {
        let start: UnsafeMutablePointer<Entry>?
        let capacity: Int
        static var none: Room { Room(start: nil, capacity: 0) }
    }

    /// Scans elements from `from` (an element's start) until the position after a separator
    /// reaches `until`, or the array ends. With a `room`, the entries go there until it is full,
    /// and only the rest into the chunk's own array; without one, that array reserves, once a
    /// sample of elements gives their size, room for `extent` bytes of them: growing it by
    /// doubling copied and paged in each entry several times, which cost more than scanning
    /// (reserved room that is never used is never touched, so it costs no memory).
    static func scanChunk<Reader: ElementReader>(_ bytes: UnsafeRawBufferPointer, from: Int, until: Int, extent: Int,
                                                 key: String, reader: Reader, room: Room<Reader.Entry> = .none) -> Chunk<Reader> {
        var chunk = Chunk(reader: reader)
        var scanner = JSONScanner(bytes, position: from)
        do throws(JSONSyntaxError) {
            while true {
                let elementStart = scanner.position
                guard scanner.peek() == UInt8(ascii: "{") else { throw try COCOReader.notAnObject(&scanner, key: key) }
                if chunk.written + chunk.entries.count == sample {
                    let expected = expectedCount(extent: extent, averageBytes: (elementStart - from) / sample)
                    if room.start == nil { chunk.entries.reserveCapacity(expected) }
                    chunk.reader.reserve(expected)
                }
                scanner.sawWhitespace = false
                let entry = try chunk.reader.read(&scanner, elementStart)
                if chunk.written < room.capacity {
                    (room.start! + chunk.written).initialize(to: entry)
                    chunk.written += 1
                } else {
                    chunk.entries.append(entry)
                }
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

    /// How many elements `extent` bytes likely hold, from the average size of the first
    /// elements, and a quarter more so that the guess is seldom short: room to reserve.
    static func expectedCount(extent: Int, averageBytes: Int) -> Int {
        let count = extent / max(1, averageBytes)
        return count + count / 4 + sample
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
