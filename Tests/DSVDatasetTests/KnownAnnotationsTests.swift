import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// Annotations matched with the ones the last commit read (`KnownAnnotations`) must give exactly
/// what a full parse gives — entries, places, values, errors — whatever the objects hold: a match
/// only ever saves the parse.
@Suite struct KnownAnnotationsTests {
    /// One annotation object; `variant` picks a quirk, several of them made to look complete
    /// early (`},{` inside a string or a nested array) or to keep the fast path off.
    static func annotation(id: Int, image: Int, variant: Int, moved: Int = 0) -> String {
        let box = "[\(10 + moved).5,20.25,30,40]"
        switch variant % 12 {
        case 1: // A string that holds what looks like the next object's start.
            return #"{"id":\#(id),"image_id":\#(image),"category_id":2,"bbox":\#(box),"attributes":{"note":"a},{\"id\":5,\"image_id\":1"}}"#
        case 2: // A nested array of objects.
            return #"{"id":\#(id),"image_id":\#(image),"category_id":1,"parts":[{"a":1},{"b":[2,{"c":3}]}],"bbox":\#(box)}"#
        case 3: // No category.
            return #"{"id":\#(id),"image_id":\#(image),"bbox":\#(box),"iscrowd":0}"#
        case 4: // The category last.
            return #"{"id":\#(id),"image_id":\#(image),"bbox":\#(box),"category_id":2}"#
        case 5: // A tail longer than any digest covers.
            let polygon = (0..<700).map { "\($0).5" }.joined(separator: ",")
            return #"{"id":\#(id),"image_id":\#(image),"category_id":1,"segmentation":[[\#(polygon)]],"bbox":\#(box)}"#
        case 6: // Another key order: `id` neither first nor last, nothing to key by.
            return #"{"image_id":\#(image),"id":\#(id),"category_id":1,"bbox":\#(box)}"#
        case 7: // An `id` in a nested object, and a non-ASCII escape.
            return #"{"id":\#(id),"image_id":\#(image),"category_id":3,"meta":{"id":3,"who":"\u00e9t\u00e9"},"bbox":\#(box)}"#
        case 8: // Ids at the edges: negative, past 10¹³.
            let odd = [-id, 10_000_000_000_000 + id, id][id % 3]
            return #"{"id":\#(odd),"image_id":\#(image),"category_id":1,"bbox":\#(box)}"#
        case 9: // The category far into a long tail.
            let polygon = (0..<400).map { "\($0).25" }.joined(separator: ",")
            return #"{"id":\#(id),"image_id":\#(image),"segmentation":[[\#(polygon)]],"bbox":\#(box),"category_id":3}"#
        case 10: // Ids that are not canonical integers.
            return #"{"id":\#(id).0,"image_id":\#(image),"category_id":1,"bbox":\#(box)}"#
        case 11: // `id` last, as pycocotools and Datumaro write it.
            return #"{"image_id":\#(image),"category_id":\#(1 + id % 3),"segmentation":[[1.5,2.25,\#(10 + moved).0,4.0]],"bbox":\#(box),"iscrowd":0,"id":\#(id)}"#
        default: // CVAT's own layout.
            return #"{"id":\#(id),"image_id":\#(image),"category_id":\#(1 + id % 3),"segmentation":[[1.5,2.25,\#(10 + moved).0,4.0]],"area":12.5,"bbox":\#(box),"iscrowd":0,"attributes":{"occluded":false,"rotation":0.0}}"#
        }
    }

    /// A round of an export: in round 1, ids are renumbered from another start (as CVAT does),
    /// every 13th annotation moves, every 17th is gone, a few are new, and one block of images
    /// moved to the end (so the matching loses its place and must find it again).
    static func export(annotations count: Int, round: Int) -> String {
        var objects: [(image: Int, text: String)] = []
        var id = 1 + round * 1000
        for n in 0..<count {
            let image = n / 3 + 1
            if round == 1 && n % 17 == 5 { continue }
            objects.append((image, annotation(id: id, image: image, variant: n % 37 == 0 ? 5 : n % 12,
                                              moved: round == 1 && n % 13 == 0 ? 1 : 0)))
            id += 1
            if round == 1 && n % 101 == 7 {
                objects.append((image, annotation(id: id, image: image, variant: 0, moved: 50)))
                id += 1
            }
        }
        if round == 1 {
            let moved = objects.filter { (100...140).contains($0.image) }
            objects = objects.filter { !(100...140).contains($0.image) } + moved
        }
        let images = (1...count / 3 + 1).map { #"{"id":\#($0),"file_name":"img \#($0).jpg","width":10,"height":10}"# }
        return #"{"categories":[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":"c"}],"images":["#
            + images.joined(separator: ",") + #"],"annotations":["# + objects.map(\.text).joined(separator: ",") + "]}"
    }

    /// Reads `text` from a file, with `known` (nil: a plain full parse).
    static func read(_ text: String, in directory: TemporaryDirectory, known: KnownAnnotations?,
                     copyingSpaced: Bool = true) throws -> COCOExport {
        try read(path: directory.write("export-\(UUID().uuidString).json", text), known: known, copyingSpaced: copyingSpaced)
    }

    static func read(path: String, known: KnownAnnotations?, copyingSpaced: Bool = true) throws -> COCOExport {
        try COCOReader.read(try FileMapping(path: path), name: path, known: known, copyingSpaced: copyingSpaced)
    }

    /// Round 0 read and learned, its cache written and read back: the known annotations of round 1.
    static func known(after first: String, in directory: TemporaryDirectory, copyingSpaced: Bool = true,
                      key: ElementKey = ElementKey(derivedFrom: FingerprintKey.random())) throws -> (KnownAnnotations, ElementKey, count: Int) {
        let path = directory.file("dsv-elements-\(UUID().uuidString).cache")
        let learning = KnownAnnotations(ElementCache(path: path, key: key))
        let round0 = try read(first, in: directory, known: learning, copyingSpaced: copyingSpaced)
        #expect(round0.matchedAnnotations == 0)
        #expect(round0.tailDigests.count == round0.annotations.count)
        KnownAnnotations.save([round0], key: key, to: path)
        let cache = ElementCache(path: path, key: key)
        return (KnownAnnotations(cache), key, cache.count)
    }

    /// Small (one core) and over 8 MB (parallel chunks, each finding its place by landmarks).
    @Test(arguments: [600, 30_000])
    func matchedAnnotationsAreExactlyWhatAFullParseGives(_ count: Int) throws {
        let directory = TemporaryDirectory("known-annotations")
        let (known, key, recorded) = try Self.known(after: Self.export(annotations: count, round: 0), in: directory)
        #expect(recorded > count / 2)
        let next = Self.export(annotations: count, round: 1)
        let matched = try Self.read(next, in: directory, known: known)
        let plain = try Self.read(next, in: directory, known: nil)
        #expect(matched.annotations == plain.annotations)
        #expect(matched.images.map(\.range) == plain.images.map(\.range))
        #expect(matched.matchedAnnotations > count / 3, "\(matched.matchedAnnotations) of \(matched.annotations.count) matched")
        // What the next round will know is the same whether an object was matched or parsed.
        let learnedInFull = try Self.read(next, in: directory, known: KnownAnnotations(ElementCache(path: "/nonexistent", key: key)))
        #expect(learnedInFull.matchedAnnotations == 0)
        #expect(matched.tailDigests == learnedInFull.tailDigests)
        #expect(matched.tailDigests.count == matched.annotations.count)
    }

    /// An object that looks complete early (`},{"id":` inside a string) is matched by the
    /// length its entry kept, where searching for its end stops too soon; its entry is a full
    /// parse's.
    @Test func anObjectThatLooksCompleteEarlyIsMatchedByItsLength() throws {
        let directory = TemporaryDirectory("known-annotations-length")
        func export(_ firstID: Int) -> String {
            let objects = (0..<400).map { n in Self.annotation(id: firstID + n, image: n / 4 + 1, variant: 1) }
            let images = (1...100).map { #"{"id":\#($0),"file_name":"i\#($0).jpg"}"# }
            return #"{"categories":[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":"c"}],"images":["#
                + images.joined(separator: ",") + #"],"annotations":["# + objects.joined(separator: ",") + "]}"
        }
        let (known, _, recorded) = try Self.known(after: export(1), in: directory)
        #expect(recorded == 400)
        let next = export(5_001)
        let matched = try Self.read(next, in: directory, known: known)
        #expect(matched.matchedAnnotations == 400)
        #expect(matched.annotations == (try Self.read(next, in: directory, known: nil)).annotations)
    }

    /// A damaged object is never matched: the error, and its place, are a full parse's.
    @Test(arguments: [#""bbox":[10.5,20.25,30,40]"#, #""rotation":0.0}}"#, #""category_id":2,"#])
    func aBrokenObjectGivesTheFullParsesError(_ target: String) throws {
        let directory = TemporaryDirectory("known-annotations-broken")
        let first = Self.export(annotations: 600, round: 0)
        let (known, _, _) = try Self.known(after: first, in: directory)
        // The 30th occurrence of `target` loses its last byte.
        var text = first
        var searchFrom = text.startIndex
        for _ in 0..<30 { searchFrom = text.range(of: target, range: searchFrom..<text.endIndex)!.upperBound }
        text.remove(at: text.index(before: searchFrom))
        let path = directory.write("broken.json", text)
        func failure(_ known: KnownAnnotations?) -> String {
            do {
                _ = try Self.read(path: path, known: known)
                return "no error"
            } catch { return "\(error)" }
        }
        let expected = failure(nil)
        #expect(expected != "no error")
        #expect(failure(known) == expected)
    }

    /// Whitespace between objects changes nothing. Inside them (as `json.dump` and
    /// pretty-printers write them), a first round — nothing known yet — is read from a minified
    /// copy of the whole file; a next round is read as written, each tail minified on its own to
    /// be matched or learned: the tails a compact round learned match, a spaced round learns
    /// what a compact one does, and the entries are a full parse's of the file as written.
    @Test func spacedExportsAreMatchedByTheirMinifiedTails() throws {
        let directory = TemporaryDirectory("known-annotations-copied")
        let (known, key, _) = try Self.known(after: Self.export(annotations: 300, round: 0), in: directory)
        let between = Self.export(annotations: 300, round: 1).replacingOccurrences(of: "},{\"id\"", with: "},\n  {\"id\"")
        let matchedBetween = try Self.read(between, in: directory, known: known)
        #expect(matchedBetween.matchedAnnotations > 100)
        #expect(matchedBetween.annotations == (try Self.read(between, in: directory, known: nil)).annotations)

        let compactRound = Self.export(annotations: 300, round: 1)
        let spaced = Self.dumped(compactRound)
        let afterCompact = try Self.read(spaced, in: directory, known: known)
        let compact = try Self.read(compactRound, in: directory, known: known)
        // (`dumped` spaces the commas and colons inside strings too: those annotations changed.)
        #expect(afterCompact.matchedAnnotations > 100 && compact.matchedAnnotations > 100)
        #expect(afterCompact.annotationsAsWritten && !compact.annotationsAsWritten)
        // A full parse of the file as written (known annotations that match none of it) gives
        // the same entries, and learns the same.
        let inFull = try Self.read(spaced, in: directory, known: try Self.unrelated(in: directory, key: key))
        #expect(inFull.matchedAnnotations == 0 && inFull.annotationsAsWritten)
        #expect(afterCompact.annotations == inFull.annotations)
        #expect(afterCompact.tailDigests == inFull.tailDigests)
        #expect(Array(afterCompact.learnedEntries.joined()) == Array(inFull.learnedEntries.joined()))
        // A first round of the same file (from its minified copy) learns the same tails.
        #expect(afterCompact.tailDigests == (try Self.read(spaced, in: directory, known: Self.learning(key))).tailDigests)
        #expect(afterCompact.spacedTails.isEmpty)

        // Spaced only between tokens (strings untouched), in either layout, the round is the
        // compact one: every tail digest equal, and at least as many matched.
        for layout in [false, true] {
            let dumped = try Self.read(jsonDumped(compactRound, newlines: layout), in: directory, known: known)
            #expect(dumped.annotationsAsWritten)
            #expect(dumped.tailDigests == compact.tailDigests)
            #expect(dumped.matchedAnnotations >= compact.matchedAnnotations)
            #expect(dumped.annotations.map(\.id) == compact.annotations.map(\.id))
            #expect(dumped.annotations.map(\.categoryID) == compact.annotations.map(\.categoryID))
        }

        // A spaced round after a spaced round, and a compact one after it. After a spaced
        // round, the annotations whose strings `dumped` spaced match too (one of them holds
        // `},{` in a string: only the length its entry kept finds where it ends).
        let (knownSpaced, spacedKey, _) = try Self.known(after: Self.dumped(Self.export(annotations: 300, round: 0)), in: directory)
        let afterSpaced = try Self.read(spaced, in: directory, known: knownSpaced)
        #expect(afterSpaced.matchedAnnotations > afterCompact.matchedAnnotations)
        #expect(afterSpaced.annotations == afterCompact.annotations)
        #expect(try Self.read(compactRound, in: directory, known: knownSpaced).matchedAnnotations > 100)

        // What a round read as written leaves in the cache: a compact round and a spaced one match it.
        let path = directory.file("after-as-written.cache")
        KnownAnnotations.save([afterSpaced], key: spacedKey, to: path)
        let left = KnownAnnotations(ElementCache(path: path, key: spacedKey))
        #expect(try Self.read(compactRound, in: directory, known: left).matchedAnnotations >= compact.matchedAnnotations)
        #expect(try Self.read(spaced, in: directory, known: left).matchedAnnotations >= afterSpaced.matchedAnnotations)
    }

    /// Whitespace that joins two tokens when dropped (`1 2`, `tr ue`) makes a file invalid that
    /// its minified form would not be: such an object is never matched by its minified tail,
    /// and the error, and its place, are a full parse's.
    @Test(arguments: [("\"bbox\": [10.5, 20.25, 30, 40]", "\"bbox\": [10.5, 20.25, 3 0, 40]"),
                      ("\"occluded\": false", "\"occluded\": fal se")])
    func whitespaceThatJoinsTokensIsNeverMatched(_ target: String, _ broken: String) throws {
        let directory = TemporaryDirectory("known-annotations-joined")
        let (known, _, _) = try Self.known(after: Self.export(annotations: 300, round: 0), in: directory)
        var text = jsonDumped(Self.export(annotations: 300, round: 0))
        #expect(try Self.read(text, in: directory, known: known).matchedAnnotations > 200, "matched, whole")
        let place = text.range(of: target, range: text.index(text.startIndex, offsetBy: text.count / 2)..<text.endIndex)!
        text.replaceSubrange(place, with: broken)
        let path = directory.write("joined.json", text)
        func failure(_ known: KnownAnnotations?) -> String {
            do {
                _ = try Self.read(path: path, known: known, copyingSpaced: false)
                return "no error"
            } catch { return "\(error)" }
        }
        let expected = failure(nil)
        #expect(expected.contains("joined.json:"), "\(expected)")
        do {
            _ = try Self.read(path: path, known: known)
            Issue.record("a file with joined tokens was read")
        } catch {
            #expect("\(error)" == expected)
        }
    }

    /// Known annotations, under `key`, that match none of `export`'s: a next round's reading,
    /// parsing everything.
    static func unrelated(in directory: TemporaryDirectory, key: ElementKey) throws -> KnownAnnotations {
        let objects = (1...20).map { #"{"id":\#($0),"image_id":1,"category_id":1,"unrelated":\#($0)}"# }
        let text = #"{"categories":[{"id":1,"name":"a"}],"images":[{"id":1,"file_name":"u.jpg"}],"annotations":["#
            + objects.joined(separator: ",") + "]}"
        return try Self.known(after: text, in: directory, key: key).0
    }

    /// Known annotations that learn under `key` and know nothing yet: a full parse's tail digests.
    static func learning(_ key: ElementKey) -> KnownAnnotations { KnownAnnotations(ElementCache(path: "/nonexistent", key: key)) }

    /// `json.dump`'s layout: a space after each comma and colon.
    static func dumped(_ text: String) -> String { text.replacingOccurrences(of: ",", with: ", ").replacingOccurrences(of: ":", with: ": ") }

    /// Read as written (a file spaced only where the reader's samples did not look): the spaced
    /// array is read again from its minified copy, where the tails a compact round learned
    /// match; the file's own tails are kept too, and the next spaced round matches them on its
    /// first pass. Entries are a full parse's every time.
    @Test func spacedExportsReadAsWrittenAreMatchedOnBothPasses() throws {
        let directory = TemporaryDirectory("known-annotations-spaced")
        let (known, key, _) = try Self.known(after: Self.export(annotations: 300, round: 0), in: directory)
        func read(_ text: String, known: KnownAnnotations?) throws -> COCOExport {
            try Self.read(text, in: directory, known: known, copyingSpaced: false)
        }
        let spaced = Self.dumped(Self.export(annotations: 300, round: 1))
        let afterCompact = try read(spaced, known: known)
        #expect(afterCompact.matchedAnnotations == 0, "no tail of the file as written is known yet")
        #expect(afterCompact.annotations == (try read(spaced, known: nil)).annotations)
        #expect(afterCompact.tailDigests == (try read(spaced, known: Self.learning(key))).tailDigests)
        #expect(afterCompact.spacedTails.count > 200 && afterCompact.spacedTails.allSatisfy(\.spaced))

        // A spaced round after a spaced round: matched as the file is written.
        let (knownSpaced, spacedKey, _) = try Self.known(after: Self.dumped(Self.export(annotations: 300, round: 0)), in: directory,
                                                         copyingSpaced: false)
        let next = try read(spaced, known: knownSpaced)
        #expect(next.matchedAnnotations > 100)
        #expect(next.annotations == (try read(spaced, known: nil)).annotations)
        let learnedInFull = try read(spaced, known: Self.learning(spacedKey))
        #expect(next.tailDigests == learnedInFull.tailDigests && next.spacedTails == learnedInFull.spacedTails)
        // A compact round after it matches the minified copy's tails, and stays compact.
        let compact = try read(Self.export(annotations: 300, round: 1), known: knownSpaced)
        #expect(compact.matchedAnnotations > 100 && compact.spacedTails.isEmpty)
        #expect(compact.annotations == (try read(Self.export(annotations: 300, round: 1), known: nil)).annotations)
    }

    /// What an object with `id` first was keyed by never matches one with `id` last: its tail
    /// followed by `,"id":N}` is no object at all, and the error is a full parse's.
    @Test func anIDFirstTailNeverMatchesAnIDLastObject() throws {
        let directory = TemporaryDirectory("known-annotations-id-last")
        let images = #"{"categories":[{"id":1,"name":"a"}],"images":[{"id":1,"file_name":"a.jpg","width":1,"height":1}],"annotations":["#
        let learned = (1...40).map { #"{"id":\#($0),"image_id":1,"category_id":1,"bbox":[1,2,3,\#($0)]}"# }
        let (known, _, _) = try Self.known(after: images + learned.joined(separator: ",") + "]}", in: directory)
        let crafted = (1...40).map { #"{"image_id":1,"category_id":1,"bbox":[1,2,3,\#($0)]},"id":\#($0 + 100)}"# }
        let path = directory.write("crafted.json", images + crafted.joined(separator: ",") + "]}")
        func failure(_ known: KnownAnnotations?) -> String {
            do {
                _ = try Self.read(path: path, known: known)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(failure(nil) != "no error")
        #expect(failure(known) == failure(nil))
    }
}
