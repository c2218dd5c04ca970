import DSVStorage
import Testing

@Suite struct RelativePathTests {
    @Test(arguments: [
        ("a.jpg", nil),
        ("train/0001.jpg", nil),
        ("..jpg", nil),
        ("a/..b/c.png", nil),
        ("a/.../c.png", nil),
        ("./a.jpg", nil),
        ("", "is empty"),
        ("/etc/passwd", "is an absolute path"),
        ("a\u{0}b.jpg", "contains a NUL byte"),
        ("../a.jpg", "has a '..' component and would land outside the images folder"),
        ("a/../../b.jpg", "has a '..' component and would land outside the images folder"),
        ("a/..", "has a '..' component and would land outside the images folder"),
        ("..", "has a '..' component and would land outside the images folder"),
        ("../a\u{0}", "contains a NUL byte"),
        ("a/", "names a folder, not a file"),
        ("a/.", "names a folder, not a file"),
        (".", "names a folder, not a file"),
        ("a//", "names a folder, not a file"),
    ] as [(String, String?)])
    func problems(path: String, expected: String?) {
        #expect(RelativePath.problem(path) == expected)
    }
}
