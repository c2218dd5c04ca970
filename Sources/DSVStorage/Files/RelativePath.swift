/// The rule for an image's `file_name` as a path under a folder: it must stay inside. A
/// version may hold names that break it (an export made from local files, `/data/x.jpg` or
/// `../images/x.jpg`), so whatever places images as files — materialize, a training checkout,
/// the review page's `--images-from` — checks every name before it writes or links anything.
public enum RelativePath {
    /// Why `path` would not land inside its folder as a file, or nil.
    public static func problem(_ path: String) -> String? {
        var copy = path
        return copy.withUTF8 { problem(UnsafeRawBufferPointer($0)) }
    }

    /// The same for a path's UTF-8 bytes, in one pass without allocating: every image key of
    /// every export goes through it.
    static func problem(_ bytes: UnsafeRawBufferPointer) -> String? {
        if bytes.isEmpty { return "is empty" }
        if bytes[0] == UInt8(ascii: "/") { return "is an absolute path" }
        var componentStart = 0
        var dotDot = false
        for index in 0...bytes.count {
            let byte = index < bytes.count ? bytes[index] : UInt8(ascii: "/")
            if byte == 0 { return "contains a NUL byte" }
            guard byte == UInt8(ascii: "/") else { continue }
            if index - componentStart == 2 && bytes[componentStart] == UInt8(ascii: ".") && bytes[componentStart + 1] == UInt8(ascii: ".") {
                dotDot = true
            }
            componentStart = index + 1
        }
        if dotDot { return "has a '..' component and would land outside the images folder" }
        let last = bytes.count - (bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0)
        if last == 0 || (last == 1 && bytes[bytes.count - 1] == UInt8(ascii: ".")) { return "names a folder, not a file" }
        return nil
    }
}
