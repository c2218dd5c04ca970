import DSVTestSupport
import Foundation
import Testing

/// Subset names come from file names someone else wrote (zip entries) and, in a pushed history,
/// from another writer altogether; they become file names of a checkout. None may put a file
/// outside the output folder, and two that differ only in case may not share one folder.
@Suite struct SubsetNameTests {
    let dir = TemporaryDirectory("dsv-subset-names")

    init() throws {
        #expect(try dsv(["init"], in: dir.path).status == 0)
    }

    /// Two compact CVAT exports of 10 frames each, with no frame in common.
    func twoExports() throws -> (String, String) {
        let all = dir.file("all.json")
        #expect(try runProcess("python3", [supportScript("make_cvat_track_export"), all, "20"]).status == 0)
        let script = """
            import json, sys
            doc = json.load(open(sys.argv[1]))
            for name, part in (("a", doc["images"][:10]), ("b", doc["images"][10:])):
                ids = {image["id"] for image in part}
                out = dict(doc, images=part, annotations=[a for a in doc["annotations"] if a["image_id"] in ids])
                open(sys.argv[2] + "/" + name + ".json", "w").write(json.dumps(out, separators=(",", ":")))
            """
        #expect(try runProcess("python3", ["-c", script, all, dir.path]).status == 0)
        return (dir.file("a.json"), dir.file("b.json"))
    }

    func log() throws -> String { try dsv(["log", "--json"], in: dir.path).stdout }

    /// Exit 65, one line naming what is wrong, nothing committed.
    func expectRefused(_ arguments: [String], containing message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try log()
        let result = try dsv(arguments, in: dir.path)
        #expect(result.status == 65, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("dsv: error: ") && result.stderr.split(separator: "\n").count == 1,
                "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(try log() == before, "nothing committed", sourceLocation: sourceLocation)
    }

    @Test func checkoutRefusesASymlinkedAnnotationsFolder() throws {
        let (a, _) = try twoExports()
        #expect(try dsv(["commit", a, "-m", "one"], in: dir.path).status == 0)
        let elsewhere = dir.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("data"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.file("data/annotations"), withDestinationPath: elsewhere)
        let result = try dsv(["checkout", "HEAD", "-o", "data/"], in: dir.path)
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr == "dsv: error: file name \"annotations/instances_default.json\" goes through the symlink annotations; "
                + "nothing is written outside the output folder\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty, "nothing written through the link")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("data")) == ["annotations"])
    }

    @Test func zipEntriesThatCannotNameASubsetAreRefused() throws {
        let (a, _) = try twoExports()
        let cases: [(entry: String, message: String)] = [
            ("annotations/instances_..json", #"gives the subset ".", which cannot be one"#),
            ("annotations/instances_.hidden.json", #"gives the subset ".hidden", which cannot be one"#),
            ("annotations/instances_Tr\u{1}ain.json", #"gives the subset "Tr\u0001ain", which cannot be one: a subset name must not contain"#),
            ("annotations/instances_.json", "a subset name must not be empty"),
        ]
        for (index, (entry, message)) in cases.enumerated() {
            let zip = dir.file("hostile\(index).zip")
            try makeZip(zip, ["\(entry)=\(a)"])
            try expectRefused(["commit", zip, "-m", "hostile"], containing: message)
            try expectRefused(["status", zip], containing: message)
        }
        // A NUL inside an entry's name (Python's zipfile cuts names at one, so it is patched in).
        let zip = dir.file("nul.zip")
        try makeZip(zip, ["annotations/instances_TrXain.json=\(a)"])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: zip)))
        let marker = Array("instances_TrXain".utf8)
        var patched = 0
        for index in 0...(bytes.count - marker.count) where Array(bytes[index..<(index + marker.count)]) == marker {
            bytes[index + 12] = 0
            patched += 1
        }
        #expect(patched == 2, "the local header and the central directory")
        try Data(bytes).write(to: URL(fileURLWithPath: zip))
        try expectRefused(["commit", zip, "-m", "nul"], containing: #"gives the subset "Tr\u0000ain""#)
        // A loose file named so is taken with --subset, whose name wins.
        let loose = dir.file("instances_.hidden.json")
        try FileManager.default.copyItem(atPath: a, toPath: loose)
        try expectRefused(["commit", loose, "-m", "loose"], containing: "instances_.hidden.json: its name gives the subset \".hidden\"")
        #expect(try dsv(["commit", loose, "--subset", "Train", "-m", "named"], in: dir.path).status == 0)
    }

    @Test func subsetsThatDifferOnlyInCaseAreRefusedAtCommit() throws {
        let (a, b) = try twoExports()
        try makeZip(dir.file("cased.zip"), ["annotations/instances_Train.json=\(a)", "annotations/instances_train.json=\(b)"])
        try expectRefused(["commit", "cased.zip", "-m", "cased"],
                          containing: "subsets Train (cased.zip/annotations/instances_Train.json) and train "
                                       + "(cased.zip/annotations/instances_train.json) differ only in case")
        try makeZip(dir.file("fine.zip"), ["annotations/instances_Train.json=\(a)", "annotations/instances_Validation.json=\(b)"])
        #expect(try dsv(["commit", "fine.zip", "-m", "fine"], in: dir.path).status == 0)
    }

    /// Versions no dsv of today writes, as an older or foreign writer could push them: the
    /// checkout refuses before writing anything.
    @Test func checkoutRefusesForeignVersionsWithUnsafeSubsetNames() throws {
        let (a, b) = try twoExports()
        try makeZip(dir.file("r.zip"), ["annotations/instances_Train.json=\(a)", "annotations/instances_Xrain.json=\(b)"])
        #expect(try dsv(["commit", "r.zip", "-m", "r"], in: dir.path).status == 0)
        let rewrite = try runProcess("python3", [supportScript("rewrite_version"), dir.file(".dsv"), "Xrain", "train"])
        #expect(rewrite.status == 0, "\(rewrite.stderr)")
        let cased = try dsv(["checkout", "HEAD", "-o", "out/"], in: dir.path)
        #expect(cased.status == 65 && cased.stderr.contains("subsets Train and train differ only in case"), "\(cased.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out")), "nothing written")
        let one = try dsv(["checkout", "HEAD", "-o", "out/", "--subset", "train"], in: dir.path)
        #expect(one.status == 0, "one of them alone is fine: \(one.stderr)")
        #expect(FileManager.default.contents(atPath: dir.file("out/annotations/instances_train.json")) == FileManager.default.contents(atPath: b))

        for hostile in ["../ab", "a/b/c", ".....", "a\\bcd"] {
            let name = hostile.padding(toLength: 5, withPad: "x", startingAt: 0)
            #expect(try runProcess("python3", [supportScript("rewrite_version"), dir.file(".dsv"), "train", name]).status == 0)
            let result = try dsv(["checkout", "HEAD", "-o", "hostile/"], in: dir.path)
            #expect(result.status == 65, "\(hostile): \(result.stderr)")
            #expect(result.stderr.contains("unreadable dataset.json: it names the subset") && result.stderr.split(separator: "\n").count == 1,
                    "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("hostile")) && !FileManager.default.fileExists(atPath: dir.file("ab")))
            #expect(try runProcess("git", ["--git-dir=\(dir.file(".dsv"))", "update-ref", "refs/heads/main", "HEAD~1"]).status == 0)
        }
    }
}
