import DSVTestSupport
import Foundation
import Testing

/// The review page in a real browser: headless Chromium renders `dsv diff --html` of a known diff
/// with its images from the test S3 (presigned URLs); the DOM hooks say which cards there are,
/// what changed, and that every image loaded. A screenshot is kept in `.build/test-artifacts/`.
@Suite(.enabled(if: TestS3.current != nil && chromiumPath != nil, "needs the test S3 and chromium (make test)"))
struct ReviewPageTests {
    let s3 = TestS3.current!

    static var chromium: String? { chromiumPath }

    static var artifacts: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent(".build/test-artifacts").path
    }

    /// A 320×240 PNG of one color (Python's zlib, as the demo makes them).
    func png(_ red: Int, _ green: Int, _ blue: Int) throws -> Data {
        let script = """
            import struct, sys, zlib
            w, h, px = 320, 240, bytes([\(red), \(green), \(blue)])
            rows = b"".join(b"\\x00" + px * w for _ in range(h))
            chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
            sys.stdout.buffer.write(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                                    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    static let categories = #""categories":[{"id":1,"name":"car"},{"id":2,"name":"person","keypoints":["head","hand","foot"],"skeleton":[[1,2],[2,3]]},{"id":3,"name":"truck"}]"#
    static let round1 = #"{"images":[{"id":1,"file_name":"a.png"},{"id":2,"file_name":"b.png"},{"id":3,"file_name":"gone.png"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[20,20,100,60]},{"id":2,"image_id":2,"category_id":1,"bbox":[50,50,80,80],"segmentation":[[50,50,130,50,130,130]]},{"id":3,"image_id":3,"category_id":1,"bbox":[10,10,30,30]}],"# + categories + "}"
    static let round2 = #"{"images":[{"id":1,"file_name":"a.png"},{"id":2,"file_name":"b.png"},{"id":4,"file_name":"new.png"}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[24,20,100,64]},{"id":5,"image_id":1,"category_id":2,"bbox":[200,40,60,150],"keypoints":[230,50,2,220,120,2,235,185,1],"num_keypoints":3},{"id":2,"image_id":2,"category_id":3,"bbox":[50,50,80,80],"segmentation":[[50,50,130,50,130,130]]},{"id":6,"image_id":4,"category_id":1,"bbox":[100,100,40,40],"segmentation":{"size":[240,320],"counts":"Tag0X1X600000000000000000000000000000000000000000000000000000000000000000000000000000lRZ1"}},{"id":7,"image_id":4,"category_id":1,"bbox":[10,150,50,40],"segmentation":{"size":[240,320],"counts":[36010,30,210,30,210,30,40270]}}],"# + categories + "}"

    @Test func reviewPageShowsEveryChangedImageInABrowser() throws {
        let bucket = try s3.makeBucket("review")
        let client = try s3.client()
        let colors = ["a.png": (90, 110, 140), "b.png": (120, 90, 90), "gone.png": (60, 120, 60), "new.png": (100, 100, 100)]
        for (name, color) in colors {
            try client.putObject(bucket: bucket, key: "p/\(name)", body: [UInt8](try png(color.0, color.1, color.2)))
        }
        let dir = TemporaryDirectory("dsv-review")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", Self.round1)
        dir.write("r2.json", Self.round2)
        #expect(try dsv(["commit", "r1.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path).status == 0)

        let result = try dsv(["diff", "--html", "review.html", "--expires", "3600"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "wrote review.html: 4 changed images\n")
        let page = try String(contentsOfFile: dir.file("review.html"), encoding: .utf8)
        #expect(!page.contains("<script src") && !page.contains("<link "), "self-contained: nothing fetched but the images")
        #expect(page.contains("X-Amz-Signature="), "images through presigned URLs")

        let dom = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,6000",
                                                  "--virtual-time-budget=10000", "--dump-dom", "file://\(dir.file("review.html"))"])
        #expect(dom.status == 0, "\(dom.stderr)")
        let cards = Self.cards(in: dom.stdout)
        #expect(cards.map(\.key) == ["a.png", "b.png", "gone.png", "new.png"])
        #expect(cards.map(\.change) == ["modified", "modified", "removed", "added"])
        #expect(cards.allSatisfy { $0.loaded == "1" }, "every image loaded: \(cards)")
        // The shapes: a modified box drawn old (dashed) and new, an added person with its
        // skeleton, a relabel, a removed image's box, two masks (both RLE forms) as images.
        #expect(dom.stdout.contains(#"data-kind="modified" data-side="old""#) && dom.stdout.contains(#"data-kind="modified" data-side="new""#))
        #expect(dom.stdout.components(separatedBy: "<line ").count - 1 == 2, "the person's skeleton: two bones")
        #expect(dom.stdout.contains(#"data-kind="relabeled""#))
        #expect(dom.stdout.contains("car → truck"))
        #expect(dom.stdout.components(separatedBy: "href=\"data:image/png").count - 1 == 2, "both masks decoded")
        #expect(dom.stdout.contains("modified car: bbox [20,20,100,60] → [24,20,100,64]"))

        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts + "/review-page.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        _ = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1300",
                                            "--virtual-time-budget=10000", "--screenshot=\(screenshot)", "file://\(dir.file("review.html"))"])
        let size = (try? FileManager.default.attributesOfItem(atPath: screenshot)[.size] as? Int) ?? 0
        #expect(size > 20_000, "a screenshot of the page was kept at \(screenshot)")
    }

    /// Counting the DOM gives the summary: one `data-change` element per annotation change,
    /// every annotation of an added or removed image included. Shapes are placed in the declared
    /// width × height even where the stored picture is a tenth of it (a thumbnail bucket), and in
    /// the picture's pixels where the record declares no size.
    @Test func domCountsEqualTheSummaryAndShapesUseTheDeclaredSize() throws {
        func image(_ id: Int, _ name: String, declared: Bool = true) -> String {
            declared ? #"{"id":\#(id),"width":3200,"height":2400,"file_name":"\#(name)"}"# : #"{"id":\#(id),"file_name":"\#(name)"}"#
        }
        func box(_ id: Int, _ image: Int, _ category: Int, _ x: Int, _ y: Int) -> String {
            #"{"id":\#(id),"image_id":\#(image),"category_id":\#(category),"bbox":[\#(x),\#(y),800,600],"area":480000}"#
        }
        let categories = #""categories":[{"id":1,"name":"car"},{"id":2,"name":"person"},{"id":3,"name":"truck"}]"#
        var images1: [String] = [], boxes1: [String] = []
        for i in 0..<40 {
            images1.append(image(i + 1, "img_\(i).png"))
            boxes1 += [box(2 * i + 1, i + 1, 1, 400 + 10 * i, 300), box(2 * i + 2, i + 1, 2, 1600, 1200)]
        }
        // Round 2, ids renumbered: img_0 and img_1 removed (4 boxes), three new images with 5, 6 and 7
        // boxes (one declares no size), img_5's car moved, img_6's person relabeled a truck, img_7 a box more.
        var images2: [String] = [], boxes2: [String] = []
        var nextBox = 1000
        func add(_ image: Int, _ category: Int, _ x: Int, _ y: Int) { boxes2.append(box(nextBox, image, category, x, y)); nextBox += 1 }
        for i in 2..<40 {
            let id = 100 + i
            images2.append(image(id, "img_\(i).png"))
            add(id, 1, 400 + 10 * i + (i == 5 ? 60 : 0), 300)
            add(id, i == 6 ? 3 : 2, 1600, 1200)
            if i == 7 { add(id, 1, 2000, 200) }
        }
        for (n, count) in [5, 6, 7].enumerated() {
            let id = 500 + n
            images2.append(image(id, "new_\(n).png", declared: n != 2))
            for k in 0..<count { add(id, 1 + k % 2, n == 2 ? 20 * k : 300 * k, n == 2 ? 10 * k : 200 * k) }
        }
        let dir = TemporaryDirectory("dsv-review-counts")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", #"{"images":[\#(images1.joined(separator: ","))],"annotations":[\#(boxes1.joined(separator: ","))],\#(categories)}"#)
        dir.write("r2.json", #"{"images":[\#(images2.joined(separator: ","))],"annotations":[\#(boxes2.joined(separator: ","))],\#(categories)}"#)
        #expect(try dsv(["commit", "r1.json", "-m", "r1"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path).status == 0)
        let thumbnail = try png(90, 110, 140)  // 320 × 240: a tenth of the declared 3200 × 2400
        for name in (0..<40).map({ "img_\($0).png" }) + ["new_0.png", "new_1.png", "new_2.png"] { dir.write("thumbs/\(name)", thumbnail) }

        let json = try JSONSerialization.jsonObject(with: Data(try dsv(["diff", "--json"], in: dir.path).stdout.utf8)) as! [String: Any]
        let summary = (json["summary"] as! [String: Any])["annotations"] as! [String: Int]
        #expect(summary["added"] == 19 && summary["removed"] == 4 && summary["modified"] == 1 && summary["relabeled"] == 1, "\(summary)")
        let result = try dsv(["diff", "--html", "review.html", "--images-from", "thumbs"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let dom = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000",
                                                  "--virtual-time-budget=10000", "--dump-dom", "file://\(dir.file("review.html"))"])
        #expect(dom.status == 0, "\(dom.stderr)")
        for kind in ["added", "removed", "modified", "relabeled"] {
            #expect(dom.stdout.components(separatedBy: "data-change=\"\(kind)\"").count - 1 == summary[kind], "\(kind) elements")
        }
        let cards = Self.cards(in: dom.stdout)
        #expect(cards.count == 8 && cards.allSatisfy { $0.loaded == "1" }, "\(cards)")
        #expect(cards.filter { $0.change == "added" }.count == 3 && cards.filter { $0.change == "removed" }.count == 2)
        // The overlay's space is the declared size (7 cards), the picture's own for new_2.png.
        #expect(dom.stdout.components(separatedBy: #"viewBox="0 0 3200 2400""#).count - 1 == 7)
        #expect(dom.stdout.components(separatedBy: #"viewBox="0 0 320 240""#).count - 1 == 1)

        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        _ = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1300",
                                            "--virtual-time-budget=10000", "--screenshot=\(Self.artifacts)/review-declared-size.png",
                                            "file://\(dir.file("review.html"))"])
    }

    /// `--images-from` a materialized folder: relative paths, the page works offline.
    @Test func imagesFromAMaterializedFolder() throws {
        let dir = TemporaryDirectory("dsv-review-offline")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", Self.round1)
        dir.write("r2.json", Self.round2)
        #expect(try dsv(["commit", "r1.json", "-m", "r1"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path).status == 0)
        for name in ["a.png", "b.png", "gone.png", "new.png"] { dir.write("data/images/\(name)", try png(80, 80, 80)) }
        try FileManager.default.createDirectory(atPath: dir.file("reviews"), withIntermediateDirectories: true)
        let result = try dsv(["diff", "--html", "reviews/r2.html", "--images-from", "data/images", "--category", "truck"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let page = try String(contentsOfFile: dir.file("reviews/r2.html"), encoding: .utf8)
        #expect(page.contains(#""urls":["../data/images/b.png"]"#), "only the filtered image, by a relative path")
        let dom = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000",
                                                  "--virtual-time-budget=5000", "--dump-dom", "file://\(dir.file("reviews/r2.html"))"])
        let cards = Self.cards(in: dom.stdout)
        #expect(cards.count == 1 && cards.first?.key == "b.png" && cards.first?.loaded == "1", "\(cards)")
    }

    /// A caption has no shape to draw: its change's item says what it says.
    @Test func captionsAreToldByTheirText() throws {
        func export(_ caption: String) -> String {
            #"{"images":[{"id":1,"file_name":"c.png"}],"annotations":[{"id":1,"image_id":1,"caption":"\#(caption)"}]}"#
        }
        let dir = try Self.review(export("brown dog"), export("a brown dog"), folder: "dsv-review-captions")
        let dom = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                                                  "--virtual-time-budget=3000", "--dump-dom", "file://\(dir.file("review.html"))"])
        #expect(dom.stdout.contains(#"data-change="removed">removed (none) {"caption":"brown dog"}</li>"#), "\(dom.stdout)")
        #expect(dom.stdout.contains(#"data-change="added">added (none) {"caption":"a brown dog"}</li>"#))
    }

    /// A long value changed far in (a polygon with one vertex moved) is shown on its item from
    /// a little before the change, as the text review shows it.
    @Test func aLongValueChangedFarInIsShownWhereItChanged() throws {
        let (polygon, moved) = DiffCommandTests.movedVertex
        let dir = try Self.review(DiffCommandTests.polygonExport(polygon, fileName: "a.png"),
                                  DiffCommandTests.polygonExport(moved, fileName: "a.png"), folder: "dsv-review-far")
        let dom = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                                                  "--virtual-time-budget=3000", "--dump-dom", "file://\(dir.file("review.html"))"])
        let item = try #require(dom.stdout.firstMatch(of: #/data-change="modified">([^<]*)</li>/#)?.1, "\(dom.stdout)")
        #expect(item.hasPrefix("modified (none): segmentation …"), "\(item)")
        #expect(item.contains("440.25,450.25,460.25") && item.contains("440.25,999.5,460.25"), "\(item)")
    }

    /// Images that moved between subsets get a card that says so.
    @Test func subsetMovesAreShown() throws {
        let dir = TemporaryDirectory("dsv-review-subsets")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", Self.round1)
        #expect(try dsv(["commit", "r1.json", "--subset", "Validation", "-m", "r1"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r1.json", "--subset", "Train", "-m", "r1 to train"], in: dir.path).status == 0)
        for name in ["a.png", "b.png", "gone.png"] { dir.write("images/\(name)", try png(80, 80, 80)) }
        let result = try dsv(["diff", "--html", "review.html", "--images-from", "images"], in: dir.path)
        #expect(result.status == 0, "\(result.stderr)")
        let dom = try runProcess(Self.chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,3000",
                                                  "--virtual-time-budget=5000", "--dump-dom", "file://\(dir.file("review.html"))"])
        #expect(Self.cards(in: dom.stdout).map(\.key) == ["a.png", "b.png", "gone.png"])
        #expect(dom.stdout.components(separatedBy: #"<li class="modified subset" data-image-change="subset">subset Validation → Train</li>"#).count == 4)
        #expect(!dom.stdout.contains("data-change="), "a subset move is no annotation change")
    }

    /// An image that declares a wide size and has no picture to show keeps its card's width:
    /// its stage takes the declared shape, and nothing makes the page scroll sideways.
    @Test func wideImagesWithoutAPictureStayInTheirCards() throws {
        func export(_ x: Int) -> String {
            let images = (0..<6).map { #"{"id":\#($0 + 1),"width":1920,"height":800,"file_name":"wide_\#($0).jpg"}"# }
            let boxes = (0..<6).map { #"{"id":\#($0 + 1),"image_id":\#($0 + 1),"category_id":1,"bbox":[\#(x),100,400,300]}"# }
            return #"{"images":[\#(images.joined(separator: ","))],"annotations":[\#(boxes.joined(separator: ","))],"categories":[{"id":1,"name":"car"}]}"#
        }
        let dir = try Self.review(export(100), export(130), folder: "dsv-review-wide")
        // The page measured by the browser: each stage's and card's width, and the document's.
        let measured = try Self.probe("""
            const cards = [...document.querySelectorAll(".card")];
            document.body.dataset.probe = cards.map((c) => (c.querySelector(".stage").getBoundingClientRect().width <= c.clientWidth) ? "in" : "out").join(",")
              + ";" + (document.documentElement.scrollWidth <= window.innerWidth ? "fits" : "scrolls");
            """, in: dir)
        #expect(measured == "in,in,in,in,in,in;fits")
    }

    /// Labels stay inside their picture and off one another: a removed and an added box on one
    /// spot, and a long label on a box at the right edge, measured by the browser.
    @Test func labelsStayInsideThePictureAndApart() throws {
        let images = #""images":[{"id":1,"width":320,"height":240,"file_name":"spot.png"},{"id":2,"width":320,"height":240,"file_name":"edge.png"}]"#
        let categories = #""categories":[{"id":1,"name":"car"},{"id":2,"name":"truck"}]"#
        let round1 = #"{\#(images),"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[100,100,50,40]},{"id":2,"image_id":2,"category_id":1,"bbox":[280,50,38,30],"attributes":{"occluded":false}}],\#(categories)}"#
        let round2 = #"{\#(images),"annotations":[{"id":1,"image_id":1,"category_id":2,"bbox":[102,100,50,40]},{"id":2,"image_id":2,"category_id":1,"bbox":[281,50,38,30],"attributes":{"occluded":true}}],\#(categories)}"#
        let dir = try Self.review(round1, round2, folder: "dsv-review-labels")
        // Per card: how many labels, whether each lies inside the picture, whether any two overlap.
        let measured = try Self.probe("""
            document.body.dataset.probe = [...document.querySelectorAll(".card")].map((card) => {
              const svg = card.querySelector("svg"), width = svg.viewBox.baseVal.width;
              const boxes = [...svg.querySelectorAll("text")].map((t) => t.getBBox());
              const inside = boxes.every((b) => b.x >= -0.5 && b.x + b.width <= width + 0.5);
              const apart = boxes.every((b, i) => boxes.every((c, j) => j <= i || b.x + b.width <= c.x || c.x + c.width <= b.x
                                                                         || b.y + b.height <= c.y || c.y + c.height <= b.y));
              return card.dataset.key + ":" + boxes.length + (inside ? ":inside" : ":outside") + (apart ? ":apart" : ":overlapping");
            }).join(",");
            """, in: dir)
        #expect(measured == "edge.png:1:inside:apart,spot.png:2:inside:apart")
    }

    /// Without a picture, the card says so without covering a label: a box in the picture's
    /// top left corner, whose label is drawn inside it there, where the notice once stood.
    @Test func theMissingPictureNoticeCoversNoLabel() throws {
        let images = #""images":[{"id":1,"width":640,"height":480,"file_name":"corner.jpg"}]"#
        let categories = #""categories":[{"id":1,"name":"pedestrian"}]"#
        let round1 = #"{\#(images),"annotations":[],\#(categories)}"#
        let round2 = #"{\#(images),"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[0,0,300,200]}],\#(categories)}"#
        let dir = try Self.review(round1, round2, folder: "dsv-review-notice")
        let measured = try Self.probe("""
            const note = document.querySelector(".stage .note").getBoundingClientRect();
            const labels = [...document.querySelectorAll(".stage svg text")].map((t) => t.getBoundingClientRect());
            const clear = labels.every((b) => b.right <= note.left || note.right <= b.left || b.bottom <= note.top || note.bottom <= b.top);
            document.body.dataset.probe = labels.length + (clear ? ":clear" : ":covered");
            """, in: dir)
        #expect(measured == "1:clear")
    }

    /// A folder where two rounds were committed and `dsv diff --html review.html` written.
    static func review(_ round1: String, _ round2: String, folder: String) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory(folder)
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", round1)
        dir.write("r2.json", round2)
        #expect(try dsv(["commit", "r1.json", "-m", "r1"], in: dir.path).status == 0)
        #expect(try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path).status == 0)
        #expect(try dsv(["diff", "--html", "review.html"], in: dir.path).status == 0)
        return dir
    }

    /// What `script`, run in the folder's review page half a second after it loaded, leaves in
    /// `document.body.dataset.probe`, as Chromium renders the page.
    static func probe(_ script: String, in dir: TemporaryDirectory) throws -> String {
        let page = try String(contentsOfFile: dir.file("review.html"), encoding: .utf8)
        dir.write("probe.html", page.replacingOccurrences(of: "</body>", with: "<script>setTimeout(() => { \(script) }, 500)</script></body>"))
        let dom = try runProcess(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                                             "--virtual-time-budget=3000", "--dump-dom", "file://\(dir.file("probe.html"))"])
        return String(try #require(dom.stdout.firstMatch(of: #/data-probe="([^"]*)"/#)?.1))
    }

    struct Card: Equatable { var key: String; var change: String; var loaded: String }

    static func cards(in dom: String) -> [Card] {
        let pattern = #/<section class="card[^"]*" data-key="([^"]*)" data-status="(\w+)" data-loaded="(\w+)"/#
        return dom.matches(of: pattern).map { Card(key: String($0.1), change: String($0.2), loaded: String($0.3)) }
    }
}

/// Debian's headless-capable Chromium, which `make deps` installs.
let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}
