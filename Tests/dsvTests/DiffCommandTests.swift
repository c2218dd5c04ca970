import DSVTestSupport
import Foundation
import Testing

/// `dsv diff` and `dsv status` as a reviewer runs them.
@Suite struct DiffCommandTests {
    static let round1 = #"{"categories":[{"id":1,"name":"car"},{"id":2,"name":"person"}],"images":[{"id":1,"file_name":"b/1.jpg"},{"id":2,"file_name":"b/2.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[10,10,100,50],"attributes":{"occluded":false}},{"id":2,"image_id":2,"category_id":2,"bbox":[0,0,10,10]}]}"#
    static let round2 = #"{"categories":[{"id":1,"name":"car"},{"id":2,"name":"person"}],"images":[{"id":1,"file_name":"b/1.jpg"},{"id":2,"file_name":"b/2.jpg"},{"id":3,"file_name":"b/3.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[12,10,100,50],"attributes":{"occluded":true}},{"id":2,"image_id":2,"category_id":2,"bbox":[0,0,10,10]},{"id":3,"image_id":3,"category_id":2,"bbox":[5,5,5,5]}]}"#

    func project() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("dsv-diff")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", Self.round1)
        dir.write("r2.json", Self.round2)
        #expect(try dsv(["commit", "r1.json", "-m", "round 1"], in: dir.path).status == 0)
        return dir
    }

    @Test func statusThenDiffForAReviewer() throws {
        let dir = try project()
        let status = try dsv(["status", "r2.json"], in: dir.path, environment: ["NO_COLOR": "1"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("A b/3.jpg  (1 annotation)"))
        #expect(status.stdout.contains("M b/1.jpg"))
        #expect(status.stdout.contains("~ car [10,10,100,50] → [12,10,100,50]"))
        #expect(status.stdout.contains("attributes.occluded: false → true"))
        #expect(!status.stdout.contains("\u{1B}["), "no color when not a terminal")

        #expect(try dsv(["commit", "r2.json", "-m", "round 2"], in: dir.path).status == 0)
        let diff = try dsv(["diff"], in: dir.path)
        #expect(diff.status == 0)
        #expect(diff.stdout == status.stdout.replacingOccurrences(of: status.stdout.components(separatedBy: "\n")[0],
                                                                   with: diff.stdout.components(separatedBy: "\n")[0]))
        let stat = try dsv(["diff", "HEAD~1", "HEAD", "--stat"], in: dir.path)
        #expect(stat.stdout.contains("annotations"))
        #expect(!stat.stdout.contains("b/1.jpg"))
    }

    /// A captions file's annotations have neither category nor box: the review shows what they
    /// say, a long value cut.
    @Test func annotationsWithoutABoxShowTheirContent() throws {
        let dir = TemporaryDirectory("dsv-captions")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let long = String(repeating: "a very long caption ", count: 10)
        func export(_ captions: [String]) -> String {
            #"{"images":[{"id":1,"file_name":"c/1.jpg"}],"annotations":["#
                + captions.enumerated().map { #"{"id":\#($0.offset + 1),"image_id":1,"caption":"\#($0.element)"}"# }.joined(separator: ",")
                + "]}"
        }
        dir.write("r1.json", export(["a dog on a sofa", "brown dog"]))
        dir.write("r2.json", export(["a dog on a sofa", "a brown dog", long]))
        #expect(try dsv(["commit", "r1.json", "-m", "round 1"], in: dir.path).status == 0)
        let status = try dsv(["status", "r2.json"], in: dir.path)
        #expect(status.status == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").filter { $0.hasPrefix("    +") || $0.hasPrefix("    -") }.map(String.init)
        #expect(Set(lines) == [#"    + (none) {"caption":"a brown dog"}"#, #"    - (none) {"caption":"brown dog"}"#,
                               #"    + (none) {"caption":"\#(long.prefix(68))… (214 bytes)"#], "\(status.stdout)")
        // In JSON they have no category: null, not a name "(none)" that a category could have.
        let json = try dsv(["status", "r2.json", "--json"], in: dir.path)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let images = object["images"] as! [[String: Any]]
        let added = (images[0]["annotations"] as! [String: Any])["added"] as! [[String: Any]]
        #expect(added.count == 2 && added.allSatisfy { $0["category"] is NSNull && $0["caption"] is String }, "\(json.stdout)")
        // A caption that gains a category is relabeled, and shows what it says too.
        dir.write("r3.json", #"{"categories":[{"id":1,"name":"dog"}],"images":[{"id":1,"file_name":"c/1.jpg"}],"annotations":["#
                  + #"{"id":1,"image_id":1,"caption":"a dog on a sofa","category_id":1},{"id":2,"image_id":1,"caption":"brown dog"}]}"#)
        let relabel = try dsv(["status", "r3.json"], in: dir.path)
        #expect(relabel.stdout.contains(#"    ⇄ (none) → dog {"caption":"a dog on a sofa"}"# + "\n"), "\(relabel.stdout)")
    }

    /// The changed images' keys alone, for a script, as `git diff --name-only` / `--name-status`;
    /// filters apply, and a key that could move the terminal's cursor is quoted.
    @Test func namesOfTheChangedImages() throws {
        let dir = try project()
        dir.write("r3.json", Self.round2.replacingOccurrences(of: "b/2.jpg", with: #"b/2\u001b[2J.jpg"#))
        #expect(try dsv(["commit", "r2.json", "-m", "round 2"], in: dir.path).status == 0)
        let only = try dsv(["diff", "--name-only"], in: dir.path)
        #expect(only.status == 0 && only.stdout == "b/1.jpg\nb/3.jpg\n", "\(only.stdout)\(only.stderr)")
        #expect(try dsv(["diff", "--name-status"], in: dir.path).stdout == "M\tb/1.jpg\nA\tb/3.jpg\n")
        #expect(try dsv(["diff", "--name-status", "--category", "person"], in: dir.path).stdout == "A\tb/3.jpg\n")
        #expect(try dsv(["diff", "--name-only", "--exit-code"], in: dir.path).status == 1)
        let hostile = try dsv(["status", "r3.json", "--name-status"], in: dir.path)
        #expect(hostile.stdout == "A\t\"b/2\\u001b[2J.jpg\"\nD\tb/2.jpg\n", "\(hostile.stdout)")
        for other in ["--stat", "--json", "--name-status"] {
            let refused = try dsv(["diff", "--name-only", other], in: dir.path)
            #expect(refused.status == 2 && refused.stderr.contains("--name-only and --name-status go alone"), "\(other): \(refused.stderr)")
        }
    }

    @Test func exitCodeAndJSON() throws {
        let dir = try project()
        #expect(try dsv(["commit", "r2.json", "-m", "round 2"], in: dir.path).status == 0)
        #expect(try dsv(["diff", "--exit-code"], in: dir.path).status == 1)
        #expect(try dsv(["diff", "HEAD", "HEAD", "--exit-code"], in: dir.path).status == 0)
        let json = try dsv(["diff", "HEAD~1", "HEAD", "--json"], in: dir.path)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let summary = object["summary"] as! [String: Any]
        #expect((summary["images"] as! [String: Int]) == ["added": 1, "removed": 0, "modified": 1, "unchanged": 1])
        #expect((summary["annotations"] as! [String: Int])
            == ["added": 1, "removed": 0, "modified": 1, "relabeled": 0, "unchanged": 1])
        let status = try dsv(["status", "r2.json", "--json"], in: dir.path)
        let working = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as! [String: Any]
        #expect(working["to"] as? String == "working")
        let filtered = try dsv(["diff", "HEAD~1", "HEAD", "--category", "car"], in: dir.path)
        #expect(filtered.stdout.contains("b/1.jpg") && !filtered.stdout.contains("b/3.jpg"))
    }

    @Test func badRevisionsAndExports() throws {
        let dir = try project()
        let unknown = try dsv(["diff", "nope"], in: dir.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "dsv: error: unknown revision 'nope'\n")
        // A range reads as git reads it, and names the end it cannot find: usage, not bad data.
        let range = try dsv(["diff", "HEAD..nope"], in: dir.path)
        #expect(range.status == 2)
        #expect(range.stderr == "dsv: error: unknown revision 'nope'\n")
        let noParent = try dsv(["diff"], in: dir.path)
        #expect(noParent.status == 2)
        #expect(noParent.stderr.contains("HEAD is the first version"))
        dir.write("bad.json", "{\"images\":[")
        let bad = try dsv(["status", "bad.json"], in: dir.path)
        #expect(bad.status == 65)
        #expect(bad.stderr.hasPrefix("dsv: error: bad.json:1:12: invalid JSON"))
    }
}

extension DiffCommandTests {
    /// A long value is cut to its first 80 characters and its size, whether its characters are
    /// a byte each (a polygon) or not (a note in another script); a value of at most 100
    /// characters is shown whole, however many bytes it takes.
    @Test func longValuesAreCutByCharacters() throws {
        let polygon = (0..<40).map { "\($0).5" }, wide = String(repeating: "é", count: 90), wider = String(repeating: "é", count: 120)
        func export(_ points: [String], _ note: String, _ other: String) -> String {
            #"{"categories":[{"id":1,"name":"car"}],"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,10,10],"segmentation":[[\#(points.joined(separator: ","))]],"attributes":{"note":"\#(note)","other":"\#(other)"}}]}"#
        }
        let dir = TemporaryDirectory("dsv-diff-long")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", export(polygon, "x", "x"))
        dir.write("r2.json", export(polygon.map { $0 + "1" }, wide, wider))
        #expect(try dsv(["commit", "r1.json", "-m", "round 1"], in: dir.path).status == 0)
        let status = try dsv(["status", "r2.json"], in: dir.path)
        let lines = status.stdout.components(separatedBy: "\n")
        let old = "[[" + polygon.joined(separator: ",") + "]]", new = "[[" + polygon.map { $0 + "1" }.joined(separator: ",") + "]]"
        #expect(lines.contains("        segmentation: \(old.prefix(80))… (\(old.utf8.count) bytes) → \(new.prefix(80))… (\(new.utf8.count) bytes)"),
                "\(status.stdout)")
        #expect(lines.contains(#"        attributes.note: "x" → "\#(wide)""#))
        #expect(lines.contains(#"        attributes.other: "x" → "\#(wider.prefix(79))… (\#(wider.utf8.count + 2) bytes)"#))
        // 101 bytes but 99 characters, quotes included, the two-byte ones past the first 96 bytes (where the
        // test for a byte-per-character value reads eight bytes at a time): shown whole.
        let late = String(repeating: "a", count: 95) + "éé"
        dir.write("r3.json", export(polygon, late, "x"))
        let lateStatus = try dsv(["status", "r3.json"], in: dir.path)
        #expect(lateStatus.stdout.components(separatedBy: "\n").contains(#"        attributes.note: "x" → "\#(late)""#), "\(lateStatus.stdout)")
        // A size past a thousand bytes is written with its thousands set apart.
        let longNote = String(repeating: "a", count: 1_500)
        dir.write("r4.json", export(polygon, longNote, "x"))
        let longStatus = try dsv(["status", "r4.json"], in: dir.path)
        #expect(longStatus.stdout.contains(#"        attributes.note: "x" → "\#(longNote.prefix(79))… (1,502 bytes)"#), "\(longStatus.stdout)")
    }

    /// One vertex moved far into a long polygon: the two values are shown from a little before
    /// where they first differ, so that the change is in view, not two beginnings that read
    /// the same.
    @Test func aLongValueChangedFarInIsShownWhereItChanged() throws {
        let (polygon, moved) = Self.movedVertex
        func export(_ points: [String]) -> String { Self.polygonExport(points, fileName: "a.jpg") }
        let dir = TemporaryDirectory("dsv-diff-far")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", export(polygon))
        dir.write("r2.json", export(moved))
        #expect(try dsv(["commit", "r1.json", "-m", "round 1"], in: dir.path).status == 0)
        let status = try dsv(["status", "r2.json"], in: dir.path)
        let line = try #require(status.stdout.components(separatedBy: "\n").first { $0.hasPrefix("        segmentation: ") }, "\(status.stdout)")
        let (old, new) = ("[[" + polygon.joined(separator: ",") + "]]", "[[" + moved.joined(separator: ",") + "]]")
        let shown = line.dropFirst("        segmentation: ".count).components(separatedBy: " → ")
        #expect(shown.count == 2)
        #expect(shown[0].hasPrefix("…") && shown[0].contains("420.25,430.25,440.25,450.25,460.25"), "\(line)")
        #expect(shown[1].hasPrefix("…") && shown[1].contains("420.25,430.25,440.25,999.5,460.25"), "\(line)")
        #expect(shown[0].hasSuffix("(\(old.utf8.count) bytes)") && shown[1].hasSuffix("(\(new.utf8.count) bytes)"))
        // Each window starts at an element: the text after the `…` is a whole number.
        #expect(shown[0].dropFirst().hasPrefix(polygon.first { shown[0].dropFirst().hasPrefix($0 + ",") } ?? "none"))

        // In a long string without elements (an RLE mask's compressed counts), from a character
        // a little before the change.
        let counts = String(repeating: "P", count: 30) + String(repeating: "abcdefghijklmnopqrstuvwxyz", count: 6)
        let changedCounts = String(counts.prefix(120)) + "ZZZ" + String(counts.dropFirst(123))
        func mask(_ counts: String) -> String {
            #"{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":1,"bbox":[0,0,600,600],"iscrowd":1,"segmentation":{"counts":"\#(counts)","size":[600,600]}}]}"#
        }
        dir.write("m1.json", mask(counts))
        dir.write("m2.json", mask(changedCounts))
        #expect(try dsv(["commit", "m1.json", "-m", "mask"], in: dir.path).status == 0)
        let maskStatus = try dsv(["status", "m2.json"], in: dir.path)
        let maskLine = try #require(maskStatus.stdout.components(separatedBy: "\n").first { $0.hasPrefix("        segmentation: ") })
        #expect(maskLine.contains("…" + counts.dropFirst(120 - 24).prefix(24) + "ZZZ"), "\(maskLine)")
    }
}

extension DiffCommandTests {
    /// A polygon of 60 points, and the same with its 46th number moved: a change far into a
    /// long value.
    static let movedVertex: (polygon: [String], moved: [String]) = {
        let polygon = (0..<60).map { "\($0 * 10).25" }
        var moved = polygon
        moved[45] = "999.5"
        return (polygon, moved)
    }()

    /// An export of one image with one annotation, a box and the polygon `points`.
    static func polygonExport(_ points: [String], fileName: String) -> String {
        #"{"images":[{"id":1,"file_name":"\#(fileName)"}],"annotations":[{"id":1,"image_id":1,"bbox":[0,0,600,600],"segmentation":[[\#(points.joined(separator: ","))]]}]}"#
    }

    /// The review page's data is the diff's JSON with every `</` written `<\/`: a value that
    /// reads `</script>` cannot end the data's element early, and a `<` alone is left as it is.
    @Test func reviewPageDataCannotEndItsScript() throws {
        func export(_ note: String) -> String {
            #"{"categories":[{"id":1,"name":"car"}],"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,10,10],"attributes":{"note":"\#(note)"}}]}"#
        }
        let dir = TemporaryDirectory("dsv-diff-page")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", export("a < b"))
        dir.write("r2.json", export("</script><script>alert(1)</script> a <b"))
        #expect(try dsv(["commit", "r1.json", "-m", "round 1"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r2.json", "-m", "round 2"], in: dir.path).status == 0)
        let result = try dsv(["diff", "--html", "review.html"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let page = try String(contentsOfFile: dir.path + "/review.html", encoding: .utf8)
        #expect(page.components(separatedBy: "</script>").count == 3, "only the two script elements close")
        let data = try #require(page.components(separatedBy: #"id="review-data">"#).last?.components(separatedBy: "</script>").first)
        #expect(data.contains(#"<\/script><script>alert(1)<\/script> a <b"#))
        #expect(data.contains("a < b"))
        let json = try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]
        let diff = try #require(json?["diff"] as? [String: Any])
        #expect((diff["images"] as? [Any])?.count == 1)
    }
}

extension DiffCommandTests {
    /// An export a tool rewrote — members in another order, numbers in another form, ids
    /// renumbered — holds the same labels: no change. A real edit beside such rewriting shows
    /// only itself.
    @Test func aRewrittenExportHasNoChanges() throws {
        let dir = try project()
        dir.write("rewritten.json", #"{"images":[{"file_name":"b/1.jpg","id":7},{"id":8,"file_name":"b/2.jpg"}],"annotations":[{"attributes":{"occluded":false},"bbox":[10.0,1e1,100.00,50],"category_id":1,"image_id":7,"id":1},{"bbox":[0,0,10,10],"category_id":2,"id":2,"image_id":8}],"categories":[{"name":"car","id":1},{"name":"person","id":2}]}"#)
        let status = try dsv(["status", "rewritten.json", "--exit-code"], in: dir.path, environment: ["NO_COLOR": "1"])
        #expect(status.status == 0, "\(status.stdout)")
        dir.write("edited.json", #"{"images":[{"file_name":"b/1.jpg","id":7},{"id":8,"file_name":"b/2.jpg"}],"annotations":[{"attributes":{"occluded":true},"bbox":[10.0,1e1,100.00,50],"category_id":1,"image_id":7,"id":1},{"bbox":[0,0,10,10],"category_id":2,"id":2,"image_id":8}],"categories":[{"name":"car","id":1},{"name":"person","id":2}]}"#)
        let edited = try dsv(["status", "edited.json"], in: dir.path, environment: ["NO_COLOR": "1"])
        #expect(edited.stdout.contains("~ car [10.0,1e1,100.00,50]\n        attributes.occluded: false → true\n"), "\(edited.stdout)")
        #expect(!edited.stdout.contains("b/2.jpg"))
    }
}
