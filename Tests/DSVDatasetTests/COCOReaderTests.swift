import DSVJSON
import DSVDataset
import DSVNative
import DSVTestSupport
import Foundation
import Testing

@Suite struct COCOReaderTests {
    @Test(arguments: Fixture.names("good"))
    func readsEveryValidFixture(_ name: String) throws {
        let export = try COCOReader.read(path: Fixture.path(name))
        #expect(!export.images.isEmpty)
    }

    @Test func indexesImagesAnnotationsAndCategories() throws {
        let export = try COCOReader.read(path: Fixture.path("good/cvat_attributes.json"))
        #expect(export.images.map(\.fileName) == ["batch_0001/frame 000001.jpg", "batch_0001/frame_000002.jpg"])
        #expect(export.annotations.count == 3)
        #expect(export.annotationImages == [0, 0, 1])
        #expect(export.categories.map(\.name) == ["car", "pedestrian"])
        #expect(export.members.map(\.key) == ["licenses", "info", "categories", "images", "annotations"])
    }

    @Test func imageInfoFileHasNoAnnotationsMember() throws {
        let export = try COCOReader.read(path: Fixture.path("good/image_info.json"))
        #expect(!export.hasAnnotations)
        #expect(export.annotations.isEmpty)
    }

    @Test func decodesEscapedFileNames() throws {
        let export = try COCOReader.read(path: Fixture.path("good/big_ids_no_info.json"))
        #expect(export.images[1].fileName == "sub dir/ünï cödé.jpg")
    }

    /// Each bad file is refused with the file's name and what is wrong (and where).
    @Test(arguments: [
        ("bad/empty.json", "empty.json: not a COCO dataset: the file is empty"),
        ("bad/results.json", "the top level is an array (a results file?)"),
        ("bad/truncated.json", "truncated"),
        ("bad/duplicate_image_ids.json", "duplicate image id 1"),
        ("bad/duplicate_file_names.json", "duplicate file_name \"a.jpg\""),
        ("bad/dangling_image_id.json", "annotation id 5 has image_id 2, which names no image"),
        ("bad/dangling_category_id.json", "annotation id 5 has category_id 9, which names no category"),
        ("bad/nan.json", "nan.json:2:45: invalid JSON: non-finite number"),
        ("bad/infinity.json", "non-finite number 1e999"),
        ("bad/invalid_utf8.json", "invalid UTF-8"),
        ("bad/no_images.json", "no \"images\" array"),

        ("bad/empty_file_name.json", "image 1: file_name \"\" is empty"),
        // What a user hands over by mistake is named for what it is, not by its first byte.
        ("bad/utf16.json", "utf16.json: not a COCO dataset: the file is UTF-16 text; COCO JSON is UTF-8"),
        ("bad/gzipped.json", "gzipped.json: not a COCO dataset: the file is gzip-compressed; decompress it first"),
        // Valid JSON that breaks a rule the scan checks in passing: its place, not "invalid JSON".
        ("bad/no_file_name.json", "no_file_name.json:2:1: an image has no \"file_name\""),
        ("bad/no_image_id.json", "no_image_id.json:1:57: an annotation has no \"image_id\""),
        ("bad/file_name_not_string.json", "file_name_not_string.json:1:32: an image's \"file_name\" must be a string"),
        ("bad/annotations_not_array.json", "annotations_not_array.json:1:28: \"annotations\" must be an array, found an object"),
    ])
    func refusesBadInput(_ name: String, _ expected: String) throws {
        do {
            _ = try COCOReader.read(path: Fixture.path(name))
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.contains(name.split(separator: "/").last!))
            #expect(!error.description.contains("\n"))
        }
    }

    /// A whole number however written is that integer, exactly; anything else is no integer.
    @Test(arguments: [
        ("7.0", 7 as Int64?), ("7e0", 7), ("70E-1", 7), ("0.7e1", 7), ("-0", 0), ("-0.0e5", 0), ("-12.000", -12),
        ("1e18", 1_000_000_000_000_000_000), ("12345678901234567.0", 12_345_678_901_234_567), ("9223372036854775807.0", .max),
        ("7.5", nil), ("75e-1", nil), ("1e19", nil), ("9223372036854775808", nil), ("1e99999999", nil), ("\"7\"", nil),
        ("true", nil), ("7.", nil), ("e5", nil),
    ] as [(String, Int64?)])
    func wholeNumbers(_ text: String, _ expected: Int64?) {
        #expect(WholeNumber.value(text) == expected)
    }

    /// Keys are hashed and checked on all cores in chunks, ids and duplicates then in file
    /// order: whatever the chunks, the problem reported is the first in the file.
    @Test(arguments: [
        (44_000, 45_000, "duplicate file_name \"k10.jpg\""),
        (45_000, 44_000, "image 44001: file_name \"\" is empty"),
        (45_000, 45_000, "duplicate file_name \"k10.jpg\""),
    ])
    func reportsTheFirstProblemInFileOrder(duplicateAt: Int, emptyAt: Int, expected: String) throws {
        let folder = TemporaryDirectory()
        var names = (0..<60_000).map { "\"k\($0).jpg\"" }
        names[emptyAt] = "\"\""
        names[duplicateAt] = "\"k10.jpg\""
        let images = names.enumerated().map { "{\"id\":\($0.offset + 1),\"file_name\":\($0.element)}" }
        let path = folder.write("many.json", "{\"images\":[\(images.joined(separator: ","))],\"annotations\":[]}")
        do {
            _ = try COCOReader.read(path: path)
            Issue.record("accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
        }
    }

    /// A key with the bytes of the key before it in the same place is not validated again; any
    /// other key is, however much of it matches — a bad escape, a control character, invalid
    /// UTF-8, or a difference past the 16 bytes compared.
    @Test(arguments: [
        (#""category_id\q""#, "invalid escape"),
        ("\"category_id\u{01}\"", "control character"),
        ("\"category_\u{E9}\"", "UTF-8"),
        (#""category_i""#, nil as String?),
        (#""category_id_and_more""#, nil),
    ] as [(String, String?)])
    func repeatedKeysAreValidatedWhenTheyDiffer(key: String, expected: String?) throws {
        let good = (1...3).map { #"{"id":\#($0),"image_id":1,"category_id":1,"bbox":[1,2,3,4]}"# }
        let bad = #"{"id":4,"image_id":1,\#(key):1,"bbox":[1,2,3,4]}"#
        // Bytes after the array, so that every key is compared 16 bytes at a time.
        let text = #"{"images":[{"id":1,"file_name":"a.jpg"}],"categories":[{"id":1,"name":"c"}],"annotations":[\#((good + [bad]).joined(separator: ","))],"info":{"description":"padding padding padding"}}"#
        var bytes = Array(text.utf8)
        // é as a lone continuation-less lead byte: invalid UTF-8.
        if expected == "UTF-8", let at = bytes.firstIndex(of: 0xC3) { bytes.replaceSubrange(at...at + 1, with: [0xC3, 0x28]) }
        let dir = TemporaryDirectory("dsv-keys")
        let path = dir.write("keys.json", Data(bytes))
        if let export = Self.read(path, refusedWith: expected) { #expect(export.annotations.count == 4) }
    }

    /// Reads `path`, expecting it accepted when `expected` is nil, else refused with a message
    /// that contains `expected`; the export when it was accepted.
    static func read(_ path: String, refusedWith expected: String?) -> COCOExport? {
        do {
            let export = try COCOReader.read(path: path)
            #expect(expected == nil, "accepted, expected \(expected ?? "")")
            return export
        } catch {
            #expect(expected.map { error.description.contains($0) } ?? false, "\(error.description)")
            return nil
        }
    }

    /// Image ids are looked up in an array when they are dense and in a dictionary when not;
    /// either way the same references resolve and the same ones are refused.
    @Test(arguments: [
        (#"[{"id":1,"file_name":"a"},{"id":2,"file_name":"b"},{"id":3,"file_name":"c"}]"#, "3", nil),
        (#"[{"id":1,"file_name":"a"},{"id":2,"file_name":"b"},{"id":3,"file_name":"c"}]"#, "4", "has image_id 4, which names no image"),
        (#"[{"id":1,"file_name":"a"},{"id":2,"file_name":"b"},{"id":3,"file_name":"c"}]"#, "0", "has image_id 0, which names no image"),
        (#"[{"id":-5,"file_name":"a"},{"id":-4,"file_name":"b"}]"#, "-5", nil),
        (#"[{"id":1,"file_name":"a"},{"id":10000000000000,"file_name":"b"}]"#, "10000000000000", nil),
        (#"[{"id":1,"file_name":"a"},{"id":10000000000000,"file_name":"b"}]"#, "2", "has image_id 2, which names no image"),
        (#"[{"id":1,"file_name":"a"},{"id":"x","file_name":"b"}]"#, #""x""#, nil),
        (#"[{"id":1,"file_name":"a"},{"id":"x","file_name":"b"}]"#, "1.0", nil),
        (#"[{"id":1,"file_name":"a"},{"id":"x","file_name":"b"}]"#, "1.5", "has image_id 1.5, which names no image"),
        (#"[{"id":1,"file_name":"a"},{"id":"x","file_name":"b"}]"#, #""1""#, #"has image_id "1", which names no image"#),
        (#"[{"id":1e0,"file_name":"a"},{"id":2,"file_name":"b"}]"#, "1", nil),
        (#"[{"id":1,"file_name":"a"},{"id":1.0,"file_name":"b"}]"#, "1", "duplicate image id 1"),
        (#"[{"id":1,"file_name":"a"},{"id":2,"file_name":"b"},{"id":1,"file_name":"c"}]"#, "1", "duplicate image id 1"),
        (#"[{"id":-9223372036854775807,"file_name":"a"},{"id":922337203685477580,"file_name":"b"}]"#, "922337203685477580", nil),
    ] as [(String, String, String?)])
    func imageIdLookups(images: String, imageID: String, expected: String?) throws {
        let dir = TemporaryDirectory("dsv-ids")
        let path = dir.write("ids.json", #"{"images":\#(images),"annotations":[{"id":1,"image_id":\#(imageID)}]}"#)
        if let export = Self.read(path, refusedWith: expected) { #expect(export.annotationImages.count == 1) }
    }

    @Test func syntaxErrorsGiveLineAndColumn() throws {
        do {
            _ = try COCOReader.read(path: Fixture.path("bad/truncated.json"))
        } catch {
            guard case .syntax(_, let position, _) = error else { Issue.record("\(error)"); return }
            #expect(position.line == 1)
            #expect(position.column > 100)
        }
    }

    /// A file spaced between its tokens is read from a minified copy, and fails exactly as it
    /// does read as written: the same message, placed in the file — also where dropping its
    /// whitespace would have joined two tokens into one (`1 2`, `tr ue`, `- 1`).
    @Test(arguments: [
        (#""bbox": [1, 2, 3, 4]"#, nil),
        (#""bbox": [1 2, 3, 4]"#, "expected ',' or ']'"),
        (#""bbox": [- 1, 2, 3, 4]"#, "invalid number"),
        (#""bbox": [1, 2, 3, 4], "iscrowd": tr ue"#, "unexpected 't'"),
        (#""bbox": [1, 2, 3, 4], "area": 1 .5"#, "expected ',' or '}'"),
        (#""bbox": [1, 2, 3, 4], "note": "line\#nbreak""#, "control character"),
        (#""bbox": [1, 2, 3, 4]}, {"id": 1, "image_id": 9"#, "names no image"),
        (#""bbox": [1, 2, 3, 4]"#, "truncated"),
    ] as [(String, String?)])
    func spacedFilesAreReadFromACopyAndFailAsWritten(member: String, expected: String?) throws {
        var annotations = (1...40).map { #"{"id": \#($0), "image_id": \#($0 % 3 + 1), "category_id": 1, "segmentation": [[1.5, 2.5, 3.5]], "#
            + #""area": 12.25, "bbox": [\#($0), 2, 3, 4]}"# }
        annotations[20] = #"{"id": 21, "image_id": 2, "category_id": 1, \#(member)}"#
        var text = "\u{FEFF}\n" + #"{"images": [{"id": 1, "file_name": "a.jpg"}, {"id": 2, "file_name": "b.jpg"}, "#
            + #"{"id": 3, "file_name": "c.jpg"}], "categories": [{"id": 1, "name": "cat"}], "annotations": [\#n  "#
            + annotations.joined(separator: ",\n  ") + "\n]}\n\n"
        if expected == "truncated" { text = String(text.dropLast(40)) }
        let directory = TemporaryDirectory("dsv-spaced-copy")
        let path = directory.write("spaced.json", text)
        let mapping = try FileMapping(path: path)
        func read(copying: Bool) -> Result<COCOExport, COCOError> {
            Result { () throws(COCOError) in try COCOReader.read(mapping, name: path, copyingSpaced: copying) }
        }
        switch (read(copying: true), read(copying: false)) {
        case (.success(let copied), .success(let asWritten)):
            #expect(expected == nil)
            #expect(copied.fileBytes.count < asWritten.fileBytes.count, "read from the minified copy")
            #expect(copied.annotations.count == 40 && copied.images.map(\.fileName) == asWritten.images.map(\.fileName))
            #expect(copied.leading.count == asWritten.leading.count && copied.trailing.count == asWritten.trailing.count)
        case (.failure(let copied), .failure(let asWritten)):
            #expect(copied.description == asWritten.description)
            #expect(expected.map { expected == "truncated" || copied.description.contains($0) } ?? false, "\(copied.description)")
        case (let copied, let asWritten):
            Issue.record("read from the copy: \(copied), as written: \(asWritten)")
        }
    }
}
