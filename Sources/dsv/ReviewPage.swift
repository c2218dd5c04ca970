import DSVDataset

/// `diff --html`: one self-contained page for a reviewer — CSS and JavaScript inline, the diff as
/// JSON in the page, nothing fetched but the images. The page draws each changed image's old
/// shapes dashed and new ones solid (`ReviewPageAssets`).
enum ReviewPage {
    /// - Parameters:
    ///   - urls: per changed image (as in `diff.images`), where its picture is: a presigned S3
    ///     URL, a path relative to the page, or nil.
    ///   - skeletons: category name → keypoint skeleton (1-based index pairs), from the headers.
    static func render(_ diff: VersionDiff, title: String, urls: [String?], skeletons: [(String, JSONValue)]) -> [UInt8] {
        // The data is `{"title":…,"diff":…,"urls":[…],"skeletons":{…}}`, compact; the diff,
        // nearly all of it, written on all cores.
        var data = Array(#"{"title":"#.utf8) + Array(JSONValue.string(title).compact.utf8) + Array(#","diff":"#.utf8)
        diff.writeJSON(pretty: false) { data += $0 }
        data += Array(#","urls":"#.utf8) + Array(JSONValue.array(urls.map { $0.map(JSONValue.string) ?? .null }).compact.utf8)
        data += Array(#","skeletons":"#.utf8) + Array(JSONValue.object(skeletons).compact.utf8) + [UInt8(ascii: "}")]
        var page = Array("""
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
            <script type="application/json" id="review-data">
            """.utf8)
        appendScriptSafe(data, to: &page)
        page += Array("""
            </script>
            <script>\(ReviewPageAssets.script)</script>
            </body>
            </html>

            """.utf8)
        return page
    }

    /// Appends JSON with every `</` written `<\/` (the same JSON string): inside `<script>`,
    /// `</` could end the element early. Byte by byte between the `<`s memchr finds — a
    /// `String.replacing` over the 22 MB data of a wide diff took a third of a second.
    static func appendScriptSafe(_ json: [UInt8], to page: inout [UInt8]) {
        page.reserveCapacity(page.count + json.count + 64)
        json.withUnsafeBytes { bytes in
            var start = 0
            var searchFrom = 0
            while let less = ByteSearch.first(UInt8(ascii: "<"), in: bytes, from: searchFrom, to: bytes.count) {
                searchFrom = less + 1
                guard less + 1 < bytes.count, bytes[less + 1] == UInt8(ascii: "/") else { continue }
                page.append(contentsOf: bytes[start...less])
                page.append(UInt8(ascii: "\\"))
                start = less + 1
            }
            page.append(contentsOf: bytes[start...])
        }
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
