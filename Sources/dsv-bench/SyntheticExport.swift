import Foundation

/// A synthetic CVAT-style COCO 1.0 export shaped like COCO train2017 by default: 118k images in
/// batch folders, about 7.3 annotations per image with polygons, CVAT's `attributes`, and the
/// number texts CVAT writes (`0.0`, `44709.573000000026`). Deterministic for a seed.
///
/// `changedFraction` makes the *next labeling round* of the same seed: exactly that fraction of
/// the images (`changedImages()`) get moved boxes, flipped attributes, an added and a removed
/// annotation, and then every id is renumbered as CVAT does on each export. Without `compact`,
/// it is laid out as Python's `json.dump` writes by default: `", "` and `": "` between tokens.
struct SyntheticExport {
    var images = 118_287
    var annotationsPerImage = 7.3
    var seed: UInt64 = 2017
    var changedFraction = 0.0
    var compact = true
    /// Which round of changes: each round changes its own `changedFraction` of the images.
    var round: UInt64 = 0
    /// Each annotation with its `id` last, as pycocotools and Datumaro write them.
    var idLast = false

    /// The generator's revision, counted where what an export with changes holds changed (2:
    /// exactly `changedFraction` of the images change): part of the name a bench caches such an
    /// export under (`cacheFile`), so that one generated before is not taken for it.
    static let revision = 2

    /// The file a bench keeps this export in, from `stem`: `stem.json` for a first round, which no
    /// revision has changed, `stem.r2.json` for one with changes.
    func cacheFile(_ stem: String) -> String { changedFraction > 0 ? "\(stem).r\(Self.revision).json" : "\(stem).json" }

    /// The path of this export in `directory` (`cacheFile(stem)`), written there first unless a
    /// bench already has: generating train2017 × 10 takes minutes. `announcing` is printed
    /// before it is generated.
    func cached(in directory: String, as stem: String, announcing: String? = nil) throws -> String {
        let path = "\(directory)/\(cacheFile(stem))"
        if !FileManager.default.fileExists(atPath: path) {
            if let announcing { print(announcing) }
            try write(to: path)
        }
        return path
    }

    static let categories = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck",
                             "boat", "traffic light", "fire hydrant", "stop sign", "parking meter", "bench",
                             "bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra",
                             "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee"]

    /// Writes the export to `path` whole or not at all: into a file beside it, renamed over
    /// `path` once complete (the year's rounds write one path again and again), so that a run
    /// stopped while generating (the 3.8 GB of train2017 ×10 take minutes) leaves no truncated
    /// export that the next run would take as made and fail on.
    func write(to path: String) throws {
        let partial = path + ".partial"
        try writeContents(to: partial)
        guard rename(partial, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }

    private func writeContents(to path: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        var out = ""
        out.reserveCapacity(1 << 22)
        func flush(_ force: Bool = false) {
            if force || out.utf8.count > 1 << 22 {
                // No string written here holds a ',' or a ':'.
                let text = compact ? out : out.replacingOccurrences(of: ",", with: ", ").replacingOccurrences(of: ":", with: ": ")
                handle.write(Data(text.utf8))
                out.removeAll(keepingCapacity: true)
            }
        }
        out += #"{"licenses":[{"name":"","id":0,"url":""}],"info":{"contributor":"","date_created":"","description":"","url":"","version":"","year":""},"categories":["#
        for (i, name) in Self.categories.enumerated() {
            if i > 0 { out += "," }
            out += #"{"id":\#(i + 1),"name":"\#(name)","supercategory":""}"#
        }
        out += #"],"images":["#
        for i in 0..<images {
            if i > 0 { out += "," }
            var rng = Random(seed: seed &+ UInt64(i) &* 0x9E37_79B9)
            let width = [640, 480, 500, 427][Int(rng.next() % 4)]
            let height = [480, 640, 375, 333][Int(rng.next() % 4)]
            out += #"{"id":\#(i + 1),"width":\#(width),"height":\#(height),"file_name":"\#(fileName(i))","license":0,"flickr_url":"","coco_url":"","date_captured":0}"#
            flush()
        }
        out += #"],"annotations":["#
        var annotationID = 0
        let changedImages = changedImages()
        for i in 0..<images {
            var rng = Random(seed: seed &+ UInt64(i) &* 0x9E37_79B9)
            _ = rng.next(); _ = rng.next()
            let changed = changedImages[i]
            var count = Int(rng.uniform() * annotationsPerImage * 2)
            var changeRng = Random(seed: seed ^ 0xC0FFEE &+ UInt64(i) &+ round &* 0x51_7CC1)
            let removed = changed && count > 1 ? Int(changeRng.next() % UInt64(count)) : -1
            if changed { count += 1 }
            for a in 0..<count {
                var shape = Random(seed: seed &* 31 &+ UInt64(i) &* 1000 &+ UInt64(a))
                if a == removed { continue }
                annotationID += 1
                let category = Int(shape.next() % UInt64(Self.categories.count)) + 1
                var x = shape.uniform() * 500, y = shape.uniform() * 350
                let w = 10 + shape.uniform() * 120, h = 10 + shape.uniform() * 120
                var occluded = shape.next() % 5 == 0
                if changed && a % 3 == 0 { x += 7.5; y -= 3.25; occluded.toggle() }
                let points = 8 + Int(shape.next() % 24)
                var polygon = ""
                for p in 0..<points {
                    let angle = Double(p) / Double(points) * 2 * Double.pi
                    let px = x + w / 2 + cos(angle) * w / 2 * (0.8 + shape.uniform() * 0.2)
                    let py = y + h / 2 + sin(angle) * h / 2 * (0.8 + shape.uniform() * 0.2)
                    polygon += (p > 0 ? "," : "") + number(px) + "," + number(py)
                }
                let area = w * h * 0.78
                if annotationID > 1 { out += "," }
                let members = #""image_id":\#(i + 1),"category_id":\#(category),"segmentation":[[\#(polygon)]],"area":\#(area),"bbox":[\#(number(x)),\#(number(y)),\#(number(w)),\#(number(h))],"iscrowd":0,"attributes":{"occluded":\#(occluded),"rotation":0.0}"#
                out += idLast ? #"{\#(members),"id":\#(annotationID)}"# : #"{"id":\#(annotationID),\#(members)}"#
                flush()
            }
        }
        out += "]}"
        flush(true)
    }

    func fileName(_ i: Int) -> String { "batch_\(padded(i / 1000, 4))/\(padded(i + 1, 12)).jpg" }

    func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }

    /// Which images this round changes: exactly `changedFraction` of them (rounded), those whose
    /// draw for the round is the smallest. A coin for each image, as before revision 2, changed
    /// 0.73–1.33% of 10k images from one round to the next: a year's round 3 and round 365,
    /// compared as the same work, differed by half (76 images changed against 114), and a "1%
    /// apart" diff at 10k was 0.83% apart.
    func changedImages() -> [Bool] {
        let count = min(images, Int((changedFraction * Double(images)).rounded()))
        var changed = [Bool](repeating: false, count: images)
        guard count > 0 else { return changed }
        let draws = (0..<images).map { i -> UInt64 in
            var rng = Random(seed: seed ^ 0xBEEF &+ UInt64(i) &* 7919 &+ round &* 0x2545_F491)
            return rng.next()
        }
        for i in (0..<images).sorted(by: { (draws[$0], $0) < (draws[$1], $1) }).prefix(count) { changed[i] = true }
        return changed
    }

    /// Two decimals, as CVAT's polygon points mostly are.
    func number(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let sign = hundredths < 0 ? "-" : ""
        let magnitude = abs(hundredths)
        return "\(sign)\(magnitude / 100).\(padded(magnitude % 100, 2))"
    }
}

/// SplitMix64: small, fast and the same on every machine.
struct Random {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
