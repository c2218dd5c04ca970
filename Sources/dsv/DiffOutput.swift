import DSVDataset
import DSVStorage

/// The reviewer's view of a diff: the summary tables, then image by image what changed in each
/// annotation. Shared by `diff` and `status`.
enum DiffOutput {
    static func printSummary(_ diff: VersionDiff, title: String) {
        print(Style.bold(title))
        print()
        let filtered = diff.filter != nil
        let rows = [
            ["", "added", "removed", "modified", "relabeled", "unchanged"],
            ["images", "\(diff.imagesAdded)", "\(diff.imagesRemoved)", "\(diff.imagesModified)", "-",
             filtered ? "-" : "\(diff.imagesUnchanged)"],
            ["annotations", "\(diff.annotationsAdded)", "\(diff.annotationsRemoved)", "\(diff.annotationsModified)",
             "\(diff.annotationsRelabeled)", filtered ? "-" : "\(diff.annotationsUnchanged)"],
        ]
        printTable(rows)
        if let filter = diff.filter { print("(only changes matching \(filter); the category table covers the whole version)") }
        if diff.objectsChanged > 0 { print("S3 objects changed: \(diff.objectsChanged)") }
        if !diff.categoriesAdded.isEmpty { print(Style.added("categories added: \(diff.categoriesAdded.map(TerminalText.name).joined(separator: ", "))")) }
        if !diff.categoriesRemoved.isEmpty { print(Style.removed("categories removed: \(diff.categoriesRemoved.map(TerminalText.name).joined(separator: ", "))")) }
        // Split sizes, for versions that have splits (a version without is all `default`).
        if diff.subsetCounts.contains(where: { $0.name != Subset.defaultName }) {
            printChanges(diff.subsetCounts, header: ["subset", "images before", "after", "delta"])
        }
        printChanges(diff.categoryCounts, header: ["category", "before", "after", "delta"])
    }

    /// The counts that changed, as a table under `header`; nothing when none did.
    static func printChanges(_ counts: [VersionDiff.CountChange], header: [String]) {
        let changed = counts.filter { $0.before != $0.after }
        guard !changed.isEmpty else { return }
        print()
        printTable([header] + changed.map { [TerminalText.name($0.name), $0.before.formatted, $0.after.formatted, signed($0.after - $0.before)] })
    }

    /// Every changed image, annotation by annotation. The text is made on all cores, a run of
    /// images at a time, as bytes, and written in order: a review of 5,000 changed images is
    /// megabytes, and making it line by line through `print` took a third of a wide diff
    /// (and of what was left, a string made for every piece of every line 8%).
    static func printImages(_ diff: VersionDiff) throws(SystemError) {
        let images = diff.images, run = 128
        let runs = Parallel.map((images.count + run - 1) / run, chunk: 1) { index in
            var text = ReviewText()
            images.withUnsafeBufferPointer { images in
                for image in index * run..<min(images.count, (index + 1) * run) { append(images[image], to: &text) }
            }
            return text.bytes
        }
        for text in runs {
            try text.withUnsafeBytes { bytes in Result { () throws(SystemError) in try StandardOutput.write(bytes) } }.get()
        }
    }

    /// One image's lines, after an empty one. (Kept out of line, as the annotation writers
    /// below are: each runs thousands of times from one loop, and shows apart in a profile.)
    @inline(never)
    static func append(_ image: VersionDiff.ImageChange, to text: inout ReviewText) {
        text.newline()
        switch image.status {
        case .added:
            text.styled(Style.addedCode) { $0.put("A "); $0.putName(image.key) }
            text.put("  ("); text.put(VersionText.count(image.annotations.added.count, "annotation")); text.put(")")
        case .removed:
            text.styled(Style.removedCode) { $0.put("D "); $0.putName(image.key) }
            text.put("  ("); text.put(VersionText.count(image.annotations.removed.count, "annotation")); text.put(")")
        case .modified:
            text.styled(Style.modifiedCode) { $0.put("M "); $0.putName(image.key) }
        }
        text.newline()
        if let move = image.subsetMove { text.put("    subset: "); text.putName(move.from); text.put(" → "); text.putName(move.to); text.newline() }
        for field in image.fields { fieldLine("    image ", field, to: &text) }
        if let pin = image.pin {
            text.put("    S3 object: etag "); text.put(pin.from?.etag ?? "none"); text.put(" → "); text.put(pin.to?.etag ?? "none")
            text.newline()
        }
        // Each annotation is handed over on its own, out of its array's buffer: copied once (its
        // few references; a value read from memory and passed beside `inout` text is copied,
        // as the text could be that memory), where iterating copied each pair whole, and each
        // side again for every use.
        image.annotations.modified.withUnsafeBufferPointer { pairs in
            for pair in pairs.indices { modifiedLines(pairs[pair].from, pairs[pair].to, to: &text) }
        }
        image.annotations.relabeled.withUnsafeBufferPointer { pairs in
            for pair in pairs.indices { relabeledLine(pairs[pair].from, pairs[pair].to, to: &text) }
        }
        image.annotations.added.withUnsafeBufferPointer { added in
            for index in added.indices { annotationLine(Style.addedCode, "+", added[index], to: &text) }
        }
        image.annotations.removed.withUnsafeBufferPointer { removed in
            for index in removed.indices { annotationLine(Style.removedCode, "-", removed[index], to: &text) }
        }
    }

    /// A modified annotation: its category and box (moving, or as it is now when it only was
    /// written otherwise, `10.0` for `10`), then its other fields that changed.
    @inline(never)
    static func modifiedLines(_ old: DiffAnnotation, _ new: DiffAnnotation, to text: inout ReviewText) {
        text.styled(Style.modifiedCode) { $0.put("    ~ "); $0.putCategory(new.category) }
        if old.hasSameBox(as: new) {
            text.put(" "); text.box(new)
        } else {
            text.put(" "); text.box(old); text.put(" → "); text.box(new)
        }
        text.newline()
        old.forEachFieldChange(to: new, ignoring: Self.shownApart) { field, from, to in
            fieldLine("        ", field, from, to, to: &text)
        }
    }

    /// A field that changed, on a line of its own after `lead`: its name, old → new.
    static func fieldLine(_ lead: String, _ field: FieldChange, to text: inout ReviewText) {
        text.put(lead); text.putName(field.field); text.put(": ")
        var (from, to) = (field.fromText, field.toText)
        func bytes(_ text: inout String?, _ body: (UnsafeRawBufferPointer?) -> Void) {
            guard text != nil else { return body(nil) }
            text!.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }
        bytes(&from) { old in bytes(&to) { new in text.change(old, new) } }
        text.newline()
    }

    /// The same for a change whose values are texts in place.
    static func fieldLine(_ lead: String, _ field: String, _ from: UnsafeRawBufferPointer?, _ to: UnsafeRawBufferPointer?,
                          to text: inout ReviewText) {
        text.put(lead); text.putName(field); text.put(": "); text.change(from, to)
        text.newline()
    }

    /// A relabeled annotation: both categories, then its outline (`ReviewText.outline`).
    @inline(never)
    static func relabeledLine(_ old: DiffAnnotation, _ new: DiffAnnotation, to text: inout ReviewText) {
        text.styled(Style.modifiedCode) { $0.put("    ⇄ "); $0.putCategory(old.category); $0.put(" → "); $0.putCategory(new.category) }
        text.put(" "); text.outline(new); text.newline()
    }

    /// An annotation added or removed: its sign and category in the change's colour, then its
    /// outline (`ReviewText.outline`).
    @inline(never)
    static func annotationLine(_ code: String, _ sign: String, _ annotation: DiffAnnotation, to text: inout ReviewText) {
        text.styled(code) { $0.put("    \(sign) "); $0.putCategory(annotation.category) }
        text.put(" "); text.outline(annotation); text.newline()
    }

    /// What a modified annotation's line shows itself (its category and box), with the ids:
    /// its field changes are the rest. One set for every pair of a review.
    static let shownApart = DiffAnnotation.ignoring(["category_id", "bbox"])

    /// Values up to this many bytes are shown whole; longer ones cut to `cutBytes`. A long
    /// changed value is shown from about `contextBytes` before its first difference when that
    /// lies further in (`ReviewText.change`).
    static let wholeBytes = 100, cutBytes = 80, contextBytes = 24

    static func signed(_ value: Int) -> String { value > 0 ? "+\(value.formatted)" : value.formatted }

    static func printTable(_ rows: [[String]]) {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == 0 ? cell.padding(widths[index]) : String(repeating: " ", count: widths[index] - cell.count) + cell
            }
            print(cells.joined(separator: "  "))
        }
    }
}

/// A review's text as bytes: the pieces of a line appended as they come, no string made for
/// any of them.
struct ReviewText {
    var bytes: [UInt8] = []

    mutating func put(_ piece: String) {
        var piece = piece
        piece.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// A name from outside (an image's key, a category's name) as a terminal shows it safely
    /// (`TerminalText.name`).
    mutating func putName(_ name: String) { put(TerminalText.name(name)) }

    /// An annotation's category name, or "(none)" for one without a `category_id` (a caption).
    mutating func putCategory(_ category: String?) {
        guard let category else { return put("(none)") }
        putName(category)
    }

    mutating func newline() { bytes.append(UInt8(ascii: "\n")) }

    /// An annotation's `bbox` as written (nothing without one).
    mutating func box(_ annotation: DiffAnnotation) { annotation.withBBoxText { putValue($0) } }

    /// What shows an annotation beside its category: its box — or, for one without a box (a
    /// caption, a panoptic image's segments), its other members, cut as a long value is: "+
    /// (none)" alone told a reviewer nothing.
    mutating func outline(_ annotation: DiffAnnotation) {
        if annotation.hasBBox { box(annotation) } else { value(annotation.membersText) }
    }

    /// A value as written, on one readable line: a long one (an RLE mask's counts, a polygon) is
    /// cut, with its size; `--json` has it whole.
    mutating func value(_ value: String?) {
        guard var value else { return put("(none)") }
        value.withUTF8 { self.value(UnsafeRawBufferPointer($0)) }
    }

    /// The same for a value's bytes in place.
    mutating func value(_ value: UnsafeRawBufferPointer?) {
        guard let value else { return put("(none)") }
        guard putCut(value, whole: DiffOutput.wholeBytes) else { return }
        put("… (")
        putCount(value.count)
        put(" bytes)")
    }

    /// Puts `text` whole when it is at most `whole` characters, else its first `cutBytes`
    /// characters; returns whether any was left out.
    private mutating func putCut(_ text: UnsafeRawBufferPointer, whole: Int) -> Bool {
        guard text.count > whole else {
            putValue(text)
            return false
        }
        // Most long values are polygons: ASCII without a CR (which pairs with LF into one
        // character) is a character a byte, and is cut without walking its characters.
        if Self.isPlainASCII(UnsafeRawBufferPointer(rebasing: text.prefix(whole + 1))) {
            putValue(UnsafeRawBufferPointer(rebasing: text.prefix(DiffOutput.cutBytes)))
        } else {
            var string = String(decoding: text, as: UTF8.self)
            guard string.count > whole else {
                string.withUTF8 { putValue(UnsafeRawBufferPointer($0)) }
                return false
            }
            var cut = String(string.prefix(DiffOutput.cutBytes))
            cut.withUTF8 { putValue(UnsafeRawBufferPointer($0)) }
        }
        return true
    }

    /// A value's JSON text as the export wrote it, DEL and the C1 controls escaped
    /// (`TerminalText.appendValue`).
    mutating func putValue(_ text: UnsafeRawBufferPointer) { TerminalText.appendValue(text, to: &bytes) }

    /// A changed value, old → new, each as `value` shows it — but two long values alike in
    /// their first bytes (a polygon with one vertex moved, keypoints, an RLE mask's counts),
    /// whose cut beginnings would read the same, are shown from a little before where they first
    /// differ, so that the change is in view: `…,237.5,120.0,… (812 bytes)`.
    mutating func change(_ from: UnsafeRawBufferPointer?, _ to: UnsafeRawBufferPointer?) {
        let cut = DiffOutput.cutBytes
        guard let from, let to, max(from.count, to.count) > DiffOutput.wholeBytes else {
            value(from); put(" → "); value(to)
            return
        }
        var common = 0
        let shorter = min(from.count, to.count)
        while common < shorter && from[common] == to[common] { common += 1 }
        // In view already when the first difference lies well inside the cut.
        guard common > cut - DiffOutput.contextBytes else {
            value(from); put(" → "); value(to)
            return
        }
        // From the start of a number or element a little before the difference (a byte after
        // `,` or `[`), or, in a long string (an RLE mask's compressed counts), from a character
        // there: never inside a character's UTF-8.
        func startsElement(_ index: Int) -> Bool {
            index == 0 || from[index - 1] == UInt8(ascii: ",") || from[index - 1] == UInt8(ascii: "[")
        }
        let near = common - DiffOutput.contextBytes
        var start = near
        while !startsElement(start) && start > near - DiffOutput.contextBytes { start -= 1 }
        if !startsElement(start) {
            start = near
            while start > 0 && from[start] & 0xC0 == 0x80 { start -= 1 }
        }
        window(from, from: start); put(" → "); window(to, from: start)
    }

    /// `value` from byte `start` on (after a `…` when that is not the beginning), with the
    /// whole value's size when any of it is left out.
    private mutating func window(_ value: UnsafeRawBufferPointer, from start: Int) {
        if start > 0 { put("…") }
        let rest = UnsafeRawBufferPointer(rebasing: value[start...])
        if putCut(rest, whole: DiffOutput.cutBytes) { put("…") }
        if start > 0 || rest.count > DiffOutput.cutBytes {
            put(" (")
            putCount(value.count)
            put(" bytes)")
        }
    }

    /// A count as `Int.formatted` writes it (thousands set apart by commas), written as bytes:
    /// a review writes one for each long value, and made three strings of each.
    mutating func putCount(_ count: Int) {
        if count < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = count.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 27) { room in  // 20 digits, 6 commas
            var start = room.count, written = 0
            repeat {
                if written > 0 && written % 3 == 0 {
                    start -= 1
                    room[start] = UInt8(ascii: ",")
                }
                start -= 1
                room[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                written += 1
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: room[start...]))
        }
    }

    /// Whether the bytes are ASCII without a CR, read eight at a time (one test of their high
    /// bits, one for a CR among them): byte by byte, this was most of writing a long value.
    static func isPlainASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let carriage = word ^ (ones &* UInt64(UInt8(ascii: "\r")))
            // A byte of `carriage` is zero where `word` holds a CR (`word` has no high bit set).
            guard word & highs == 0, (carriage &- ones) & ~carriage & highs == 0 else { return false }
            index += 8
        }
        return bytes[index...].allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "\r") }
    }

    /// What `body` puts, in the colour `code` stands for when the output is a terminal.
    mutating func styled(_ code: String, _ body: (inout ReviewText) -> Void) {
        guard Style.enabled else { return body(&self) }
        let opening = Style.opening(code)
        put(opening)
        let start = bytes.count
        body(&self)
        if bytes.count == start { bytes.removeLast(opening.utf8.count) } else { put(Style.closing) }
    }
}

/// Options `diff` and `status` share.
struct DiffOptions: ParsableArguments {
    @Flag(help: "Only the summary tables.")
    var stat = false

    @Flag(help: "Exit with 1 when there are differences.")
    var exitCode = false

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Only annotation changes in this category (by name).")
    var category: String?

    @Option(name: .customLong("path"), help: ArgumentHelp("Only images whose key starts with PREFIX.", valueName: "PREFIX"))
    var pathPrefix: String?

    @Option(help: ArgumentHelp("Only images in this subset (before or after), e.g. Train.", valueName: "NAME"))
    var subset: String?

    @Option(help: ArgumentHelp("Write a self-contained review page: each changed image with its old and new shapes.",
                               valueName: "FILE"))
    var html: String?

    @Option(help: ArgumentHelp("With --html: take the images from a folder made by 'dsv materialize' (works offline) "
                               + "instead of presigned S3 URLs.", valueName: "DIR"))
    var imagesFrom: String?

    @Option(help: ArgumentHelp("With --html: how long the presigned image URLs stay valid.", valueName: "SECONDS"))
    var expires: Int = 7 * 24 * 3600

    @OptionGroup var s3: S3Options

    func validate() throws {
        if html == nil && imagesFrom != nil { throw ValidationError("--images-from goes with --html") }
        guard (1...604_800).contains(expires) else { throw ValidationError("--expires must be 1 to 604800 seconds (7 days, S3's limit)") }
    }

    /// Prints (or writes) the diff as asked and returns the exit status.
    /// - Parameters:
    ///   - headers: the stored headers of the versions compared, for keypoint skeletons; read
    ///     only for `--html`.
    ///   - resolve: turns a path given on the command line into one to open.
    func report(_ full: VersionDiff, title: String, headers: () throws -> [[UInt8]] = { [] },
                resolve: (String) -> String = { $0 }) throws {
        let diff = full.filtered(pathPrefix: pathPrefix, category: category, subset: subset)
        if let html {
            let path = resolve(html)
            let urls = try ReviewImages.urls(for: diff, page: path, imagesFrom: imagesFrom.map(resolve), expires: expires, s3: s3)
            var skeletons: [(String, JSONValue)] = []
            for header in try headers() {
                for entry in ReviewPage.skeletons(header: header) where !skeletons.contains(where: { $0.0 == entry.0 }) {
                    skeletons.append(entry)
                }
            }
            let page = ReviewPage.render(diff, title: title, urls: urls, skeletons: skeletons)
            let writer = try AtomicFileWriter(destination: path)
            try writer.write(page)
            try writer.commit()
            print("wrote \(path): \(VersionText.count(diff.images.count, "changed image"))")
        } else if json {
            try diff.writeJSON(pretty: true) { (piece) throws(SystemError) in try StandardOutput.write(piece) }
            print()
        } else {
            DiffOutput.printSummary(diff, title: title)
            if !stat { try DiffOutput.printImages(diff) }
        }
        if exitCode && !diff.isEmpty { throw ExitCode(ExitStatus.problemsFound) }
    }
}

import ArgumentParser
