/// The rule for an image's `file_name` as a path under a folder: it must stay inside. Commit
/// refuses names that break it, and materialize checks again before it writes anything (a
/// version may come from an older dsv or a hand-made repository).
public enum RelativePath {
    /// Why `path` would not land inside its folder as a file, or nil.
    public static func problem(_ path: String) -> String? {
        let utf8 = path.utf8
        if utf8.isEmpty { return "is empty" }
        if utf8.first == UInt8(ascii: "/") { return "is an absolute path" }
        if utf8.contains(0) { return "contains a NUL byte" }
        let components = utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if components.contains(where: { $0.elementsEqual("..".utf8) }) {
            return "has a '..' component and would land outside the images folder"
        }
        if let last = components.last, last.isEmpty || last.elementsEqual(".".utf8) { return "names a folder, not a file" }
        return nil
    }
}
