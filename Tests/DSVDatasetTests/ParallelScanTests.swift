import DSVDataset
import DSVNative
import DSVTestSupport
import Foundation
import Testing

/// Exports over 8 MB are scanned on all cores; the result must be exactly that of one core.
@Suite struct ParallelScanTests {
    /// A ~12 MB export. `nested` gives every annotation a `segments_info` array of objects that
    /// start like annotations do (`{"id":`), so that the speculative cuts land inside them.
    static func export(images: Int = 40_000, nested: Bool = false, breakAt: Int? = nil) -> String {
        var out = #"{"categories":[{"id":1,"name":"car"}],"images":["#
        for i in 0..<images {
            if i > 0 { out += "," }
            out += #"{"id":\#(i + 1),"file_name":"f/\#(i).jpg","width":640,"height":480}"#
        }
        out += #"],"annotations":["#
        for i in 0..<images * 3 {
            if i > 0 { out += "," }
            let extra = nested ? #","segments_info":[{"id":\#(i),"area":1},{"id":\#(i + 1),"area":2}]"# : ""
            let imageID = i == breakAt ? images + 10 : i / 3 + 1
            out += #"{"id":\#(i + 1),"image_id":\#(imageID),"category_id":1,"bbox":[\#(i % 500).25,1,2,3],"area":6\#(extra)}"#
        }
        return out + "]}"
    }

    @Test(arguments: [false, true])
    func largeExportsRoundTrip(nested: Bool) throws {
        let scratch = try ScratchRepository()
        let path = scratch.directory.write("large.json", Self.export(nested: nested))
        let export = try COCOReader.read(path: path)
        #expect(export.images.count == 40_000)
        #expect(export.annotations.count == 120_000)
        #expect(FileSystem.fileSize(path) > 10 << 20, "the annotations alone exceed the parallel scan's 8 MB threshold")
        #expect(export.annotationImages[119_999] == 39_999)
        try scratch.commit([path])
        #expect(try scratch.checkout() == Fixture.bytes(path))
        // Past the page cache, as a checkout of gigabytes is written: a dozen segments, each
        // sharing its first and last blocks with its neighbours.
        #expect(try scratch.checkout(direct: true) == Fixture.bytes(path))
    }

    /// The chunks of a parallel scan write their entries into rooms sized from the first
    /// elements: when those are far larger than the rest, a chunk outgrows its room and the
    /// entries from there on are taken out and appended in order — all of them when the very
    /// first elements are large, the second chunk's when the first half's are. Images (whose
    /// entries hold a string) and annotations alike come out as one core reads them.
    @Test(arguments: [(400, 4_000), (110_000, 150)])
    func chunksThatOutgrowTheirRoomsGiveTheSequentialResult(padded: Int, padding: Int) throws {
        let images = 220_000
        let note = #","note":"\#(String(repeating: "x", count: padding))""#
        var text = #"{"categories":[{"id":1,"name":"car"}],"images":["#
        for i in 0..<images {
            if i > 0 { text += "," }
            text += #"{"id":\#(i + 1),"file_name":"f/\#(i).jpg"\#(i < padded ? note : "")}"#
        }
        text += #"],"annotations":["#
        for i in 0..<images {
            if i > 0 { text += "," }
            text += #"{"id":\#(i + 1),"image_id":\#(images - i),"category_id":1,"bbox":[1,2,3,4]\#(i < padded ? note : "")}"#
        }
        text += "]}"
        let scratch = try ScratchRepository()
        let path = scratch.directory.write("uneven.json", text)
        let export = try COCOReader.read(path: path)
        #expect(export.images.count == images && export.annotations.count == images)
        #expect(export.images.map(\.fileName) == (0..<images).map { "f/\($0).jpg" })
        #expect(export.annotations.map(\.id) == (1...Int64(images)).map { $0 })
        #expect(export.annotationImages.last == 0, "the last annotation is the first image's")
        try scratch.commit([path])
        #expect(try scratch.checkout() == Fixture.bytes(path))
    }

    /// A large pretty-printed CRLF export: its arrays are minified into memory of their own and
    /// indexed there on all cores. Same manifest as the compact export, and its checkout is the
    /// compact text.
    @Test func largePrettyExportsEqualTheirCompactForm() throws {
        let compactText = Self.export(nested: true)
        let pretty = compactText.replacingOccurrences(of: "},{", with: "},\r\n    {")
            .replacingOccurrences(of: ":", with: ": ").replacingOccurrences(of: ",\"", with: ", \"")
        let compact = try ScratchRepository(), spaced = try ScratchRepository()
        let compactPath = compact.directory.write("compact.json", compactText)
        let prettyPath = spaced.directory.write("pretty.json", pretty)
        #expect(FileSystem.fileSize(prettyPath) > FileSystem.fileSize(compactPath) + (2 << 20))
        let export = try COCOReader.read(path: prettyPath)
        #expect(export.annotations.count == 120_000 && export.images.count == 40_000)
        #expect(export.annotationImages[119_999] == 39_999)
        try compact.commit([compactPath])
        try spaced.commit([prettyPath])
        #expect(try spaced.version().manifest == compact.version().manifest)
        #expect(try spaced.checkout() == minified(Fixture.bytes(prettyPath)))
    }

    /// An error deep in the second half is reported exactly as a sequential scan reports it.
    @Test func errorsInTheSecondHalfAreTheSequentialOnes() throws {
        let dir = TemporaryDirectory()
        let dangling = dir.write("dangling.json", Self.export(breakAt: 100_000))
        #expect {
            try COCOReader.read(path: dangling)
        } throws: { error in
            (error as? COCOError)?.description.contains("annotation id 100001 has image_id 40010, which names no image") == true
        }
        var text = Array(Self.export().utf8)
        // The separator between two annotations three quarters in becomes '#'.
        var broken = text.count * 3 / 4
        while !(text[broken] == UInt8(ascii: ",") && text[broken - 1] == UInt8(ascii: "}") && text[broken + 1] == UInt8(ascii: "{")) {
            broken += 1
        }
        text[broken] = UInt8(ascii: "#")
        let path = dir.write("broken.json", Data(text))
        #expect {
            try COCOReader.read(path: path)
        } throws: { error in
            guard case .syntax(_, let position, _) = error as? COCOError else { return false }
            return position.line == 1 && position.column == broken + 1
        }
    }

    /// An entry that is not an object, in an array split across the cores or read on one, gets
    /// the same message at the same place.
    @Test(arguments: [40_000, 200])
    func aNonObjectEntryIsNamedAlike(images: Int) throws {
        let dir = TemporaryDirectory()
        let text = Self.export(images: images)
        // The last annotation becomes a number.
        let last = text.range(of: ",{\"id\":\(images * 3),", options: .backwards)!
        let broken = text.replacingCharacters(in: last.lowerBound..<text.index(before: text.endIndex), with: ",7]")
        let path = dir.write("broken.json", broken)
        let column = text.utf8.distance(from: text.utf8.startIndex, to: last.lowerBound) + 2
        #expect {
            try COCOReader.read(path: path)
        } throws: { error in
            (error as? COCOError)?.description.hasSuffix("broken.json:1:\(column): each entry of \"annotations\" must be an object, found a number") == true
                || { Issue.record("\(error)"); return false }()
        }
    }

    /// The `images` array of a large export is split across the cores too, though the file
    /// goes on past it: its entries and everything read from them are the sequential scan's.
    @Test func imagesBeforeAnnotationsSplitAlike() throws {
        let scratch = try ScratchRepository()
        let path = scratch.directory.write("large.json", Self.export(images: 120_000))
        let export = try COCOReader.read(path: path)
        #expect(export.images.count == 120_000)
        #expect(export.images.enumerated().allSatisfy { $0.element.id == Int64($0.offset + 1) })
        #expect(export.annotationImages[359_999] == 119_999)
        try scratch.commit([path])
        #expect(try scratch.checkout() == Fixture.bytes(path))
    }

    /// A small export's `images` are read on one core beside its `annotations` on the other,
    /// where the annotations most likely begin. A member inside an image that looks like that
    /// place (`],"annotations":[`) misleads the guess: the annotations are then read again
    /// from where they do begin, with the sequential scan's result and errors.
    @Test(arguments: [false, true])
    func imagesReadBesideAMisleadingMemberGiveTheSequentialResult(broken: Bool) throws {
        let scratch = try ScratchRepository()
        var text = #"{"images":[{"id":1,"file_name":"a.jpg"},{"id":2,"file_name":"b.jpg","note":[1],"annotations":[2]},"#
            + #"{"id":3,"file_name":"c.jpg"}],"annotations":[{"id":1,"image_id":3,"category_id":1},"#
            + #"{"id":2,"image_id":2,"category_id":1}],"categories":[{"id":1,"name":"car"}]}"#
        if broken { text = text.replacingOccurrences(of: #""image_id":2"#, with: #""image_id":2 2"#) }
        let path = scratch.directory.write("misleading.json", text)
        guard broken else {
            let export = try COCOReader.read(path: path)
            #expect(export.images.map(\.fileName) == ["a.jpg", "b.jpg", "c.jpg"])
            #expect(export.annotationImages == [2, 1])
            try scratch.commit([path])
            #expect(try scratch.checkout() == Fixture.bytes(path))
            return
        }
        let bad = text.range(of: #""image_id":2 2"#)!
        let column = text.utf8.distance(from: text.startIndex, to: bad.lowerBound) + 14  // the second 2, 1-based
        #expect {
            try COCOReader.read(path: path)
        } throws: { error in
            guard case .syntax(_, let position, let reason) = error as? COCOError else { return false }
            return position.line == 1 && position.column == column && reason.contains("unexpected '2'")
        }
    }

    /// When both arrays of a small export have an error, the one reported is the first in the
    /// file — the images' — as a sequential scan reports it, though the annotations are read
    /// at the same time; and an error in the annotations alone is theirs.
    @Test func errorsOfImagesReadBesideTheAnnotationsAreReportedInFileOrder() throws {
        let dir = TemporaryDirectory()
        let images = #"{"images":[{"id":1,"file_name":"a.jpg"},{"id":2,"file_name":"b.jpg"}],"#
        let annotations = #""annotations":[{"id":1,"image_id":1,"category_id":1},{"id":2,"image_id":2,"category_id":1}]}"#
        let spacedAnnotations = annotations.replacingOccurrences(of: "},{", with: "} {")
        let both = dir.write("both.json", images.replacingOccurrences(of: #""file_name":"b.jpg""#, with: #""width":3"#)
                                 + spacedAnnotations)
        #expect {
            try COCOReader.read(path: both)
        } throws: { error in (error as? COCOError)?.description.contains("an image has no \"file_name\"") == true }
        let one = dir.write("one.json", images + spacedAnnotations)
        // At the '{' after the space.
        let column = images.utf8.count + Array(spacedAnnotations.utf8).firstIndex(of: UInt8(ascii: " "))! + 2
        #expect {
            try COCOReader.read(path: one)
        } throws: { error in
            guard case .syntax(_, let position, _) = error as? COCOError else { return false }
            return position.column == column
        }
    }
}
