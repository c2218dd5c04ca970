import DSVDataset

/// `diff --html`: one self-contained page for a reviewer — CSS and JavaScript inline, the diff as
/// JSON in the page, nothing fetched but the images. The page draws each changed image's old
/// shapes dashed and new ones solid (`ReviewPageAssets`).
enum ReviewPage {
    /// - Parameters:
    ///   - urls: per changed image (as in `diff.images`), where its picture is: a presigned S3
    ///     URL, a path relative to the page, or nil.
    ///   - skeletons: category name → keypoint skeleton (1-based index pairs), from the headers.
    static func render(_ diff: VersionDiff, title: String, urls: [String?], skeletons: [(String, JSONValue)]) -> String {
        let data = JSONValue.object([
            ("title", .string(title)),
            ("diff", diff.json),
            ("urls", .array(urls.map { $0.map(JSONValue.string) ?? .null })),
            ("skeletons", .object(skeletons)),
        ])
        // Inside <script>, "</" could end the element early; "<\/" is the same JSON string.
        let embedded = data.compact.replacing("</", with: "<\\/")
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title))</title>
            <style>\(ReviewPageAssets.css)</style>
            </head>
            <body>
            <header id="top"><h1>\(escape(title))</h1><div id="summary"></div><nav id="controls"></nav></header>
            <main id="cards"></main>
            <nav id="pages"></nav>
            <script type="application/json" id="review-data">\(embedded)</script>
            <script>\(ReviewPageAssets.script)</script>
            </body>
            </html>

            """
    }

    static func escape(_ text: String) -> String {
        text.replacing("&", with: "&amp;").replacing("<", with: "&lt;")
            .replacing(">", with: "&gt;").replacing("\"", with: "&quot;")
    }

    /// Category name → skeleton, from a stored header's `categories`.
    static func skeletons(header: [UInt8]) -> [(String, JSONValue)] {
        guard let document = try? JSONValue.parse(header), let categories = document["categories"]?.arrayValue else { return [] }
        return categories.compactMap { category in
            guard let name = category["name"]?.stringValue, let skeleton = category["skeleton"] else { return nil }
            return (name, skeleton)
        }
    }
}
