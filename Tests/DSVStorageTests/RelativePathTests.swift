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

@Suite struct OutputErrorTests {
    /// A refusal names the first name and its reason, then a few of the others and how many more.
    @Test(arguments: [
        (0, [], ""),
        (1, ["/b.jpg"], #" (refused too: "/b.jpg")"#),
        (5, ["/b.jpg", "../c.jpg", "d/"], #" (refused too: "/b.jpg", "../c.jpg", "d/" and 2 more)"#),
    ] as [(Int, [String], String)])
    func othersAreCountedAndNamed(others: Int, examples: [String], tail: String) {
        let error = OutputError.outside("../a.jpg", "has a '..' component", others: others, examples: examples)
        #expect(error.description == #"file name "../a.jpg" has a '..' component; nothing is written outside the output folder"# + tail)
    }
}
