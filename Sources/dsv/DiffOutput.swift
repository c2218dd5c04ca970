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
            try StandardOutput.write(text[...])
        }
    }

    /// The changed images' keys, one a line — after its change (`A`, `D`, `M`) and a tab with
    /// `status` — for a script to read, as `git diff --name-only` and `--name-status` give paths.
    /// A key holding a control character is quoted as the review quotes it.
    static func printNames(_ diff: VersionDiff, status: Bool) throws(SystemError) {
        var text = ReviewText()
        for image in diff.images {
            if status {
                let code = switch image.status { case .added: "A\t" case .removed: "D\t" case .modified: "M\t" }
                text.put(code)
            }
            text.putName(image.key)
            text.newline()
            if text.bytes.count >= 1 << 16 {
                try StandardOutput.write(text.bytes[...])
                text = ReviewText()
            }
        }
        try StandardOutput.write(text.bytes[...])
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
