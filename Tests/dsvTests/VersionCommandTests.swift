import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Glibc
import Testing

/// commit, checkout, log, show, tag and tags as a user runs them.
@Suite struct VersionCommandTests {
    static let round1 = #"{"licenses":[],"info":{"description":"cars"},"categories":[{"id":1,"name":"car"},{"id":2,"name":"person"}],"images":[{"id":1,"file_name":"b/1.jpg","width":640},{"id":2,"file_name":"b/2.jpg","width":640}],"annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[1.5,2,3,4],"attributes":{"occluded":false}},{"id":2,"image_id":2,"category_id":2,"bbox":[0,0,1,1]}]}"#

    func project() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("dsv-cli")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("round1.json", Self.round1)
        return dir
    }

    @Test func commitCheckoutRoundTrip() throws {
        let dir = try project()
        let commit = try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path)
        #expect(commit.status == 0, "\(commit.stderr)")
        #expect(commit.stdout.contains("2 images, 2 annotations, 2 categories"))
        #expect(commit.stdout.contains("pins no S3 objects"))
        let checkout = try dsv(["checkout", "HEAD", "-o", "out.json"], in: dir.path)
        #expect(checkout.status == 0, "\(checkout.stderr)")
        #expect(try String(contentsOfFile: dir.file("out.json"), encoding: .utf8) == Self.round1)
        #expect(try gitFsck(dir.file(".dsv")).status == 0)

        let again = try dsv(["commit", "round1.json", "-m", "same"], in: dir.path)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("nothing changed"))
    }

    @Test func worksFromASubfolderAndWithDashC() throws {
        let dir = try project()
        try FileManager.default.createDirectory(atPath: dir.file("deep/er"), withIntermediateDirectories: true)
        #expect(try dsv(["commit", "../../round1.json", "-m", "r1"], in: dir.file("deep/er")).status == 0)
        let show = try dsv(["-C", dir.path, "show", "--json"], in: "/")
        #expect(show.status == 0, "\(show.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect(json["images"] as? Int == 2)
        #expect(try dsv(["log", "-C", dir.path, "-n", "1"], in: "/").status == 0, "-C after the command too")
    }

    @Test func showAndLogJSON() throws {
        let dir = try project()
        #expect(try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path).status == 0)
        let round2 = Self.round1.replacingOccurrences(of: "[1.5,2,3,4]", with: "[2.5,2,3,4]")
        dir.write("round2.json", round2)
        #expect(try dsv(["commit", "round2.json", "-m", "round 2\n\nfixed a box"], in: dir.path).status == 0)

        let show = try dsv(["show", "HEAD", "--json"], in: dir.path)
        let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as! [String: Any]
        #expect((json["commit"] as? String)?.count == 40)
        #expect(json["message"] as? String == "round 2\n\nfixed a box")
        #expect(json["images"] as? Int == 2)
        #expect(json["annotations"] as? Int == 2)
        #expect(json["categories"] as? [String: Int] == ["car": 1, "person": 1])
        #expect(json["images_prefix"] is NSNull)
        #expect(json["objects_pinned"] as? Int == 0)
        #expect((json["manifest"] as? String)?.hasPrefix("sha256:") == true)

        let log = try dsv(["log", "--json"], in: dir.path)
        let entries = try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as! [[String: Any]]
        #expect(entries.map { $0["message"] as? String } == ["round 2\n\nfixed a box", "round 1"])
        let limited = try dsv(["log", "-n", "1"], in: dir.path)
        #expect(limited.stdout.contains("round 2"))
        #expect(!limited.stdout.contains("round 1"))
        let ids = entries.map { String(($0["commit"] as? String ?? "").prefix(12)) }
        #expect(try dsv(["tag", "r2"], in: dir.path).status == 0)
        let oneline = try dsv(["log", "--oneline"], in: dir.path)
        #expect(oneline.stdout == """
            \(ids[0]) (tag: r2) round 2 — 2 images, 2 annotations, 2 categories
            \(ids[1]) round 1 — 2 images, 2 annotations, 2 categories

            """, "\(oneline.stdout)\(oneline.stderr)")
        #expect(try dsv(["log", "--oneline", "--json"], in: dir.path).status == 2)

        let human = try dsv(["show", "HEAD~1"], in: dir.path)
        #expect(human.stdout.contains("images prefix: none"))
        #expect(human.stdout.contains("round1.json"))
        #expect(human.stdout.contains("subsets:       default (2 images, 2 annotations)"), "\(human.stdout)")
    }

    /// A count of one reads as people write it: "1 image", never "1 images".
    @Test func showCountsOneInTheSingular() throws {
        let dir = try project()
        dir.write("one.json", #"{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":1,"category_id":1}],"categories":[{"id":1,"name":"car"}]}"#)
        #expect(try dsv(["commit", "one.json", "-m", "one"], in: dir.path).status == 0)
        let show = try dsv(["show"], in: dir.path)
        #expect(show.stdout.contains("subsets:       default (1 image, 1 annotation)\n"), "\(show.stdout)")
    }

    @Test func tagsNameVersions() throws {
        let dir = try project()
        #expect(try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path).status == 0)
        #expect(try dsv(["tag", "round1"], in: dir.path).status == 0)
        let duplicate = try dsv(["tag", "round1"], in: dir.path)
        #expect(duplicate.status == 2)
        #expect(duplicate.stderr == "dsv: error: tag 'round1' already exists\n", "\(duplicate.stderr)")
        for name in ["bad name", "-x", "HEAD"] {
            let invalid = try dsv(["tag", "--", name], in: dir.path)
            #expect(invalid.status == 2 && invalid.stderr == "dsv: error: invalid name '\(name)': not a valid tag name\n",
                    "\(name): \(invalid.stderr)")
        }
        let tags = try dsv(["tags", "--json"], in: dir.path)
        let list = try JSONSerialization.jsonObject(with: Data(tags.stdout.utf8)) as! [[String: String]]
        #expect(list.map { $0["name"] } == ["round1"])
        // `dsv tag` alone lists them, as `git tag` does.
        let listed = try dsv(["tag"], in: dir.path)
        let tagsListed = try dsv(["tags"], in: dir.path).stdout
        #expect(listed.status == 0 && listed.stdout == tagsListed && listed.stdout.hasPrefix("round1  "),
                "\(listed.stdout)\(listed.stderr)")
        #expect(try dsv(["checkout", "round1", "-o", "t.json"], in: dir.path).status == 0)
        #expect(try String(contentsOfFile: dir.file("t.json"), encoding: .utf8) == Self.round1)
    }

    /// `-o -` writes the document to the standard output (what it says to the standard error);
    /// what cannot be renamed over — `/dev/stdout`, a named pipe — is written where it stands,
    /// never replaced by a file (renamed over, `/dev/stdout` in /dev became a file, as root).
    @Test func checkoutToTheStandardOutputOrAPipe() throws {
        let dir = try project()
        #expect(try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path).status == 0)
        let dash = try dsv(["checkout", "HEAD", "-o", "-"], in: dir.path)
        #expect(dash.status == 0 && dash.stdout == Self.round1, "\(dash.stderr)")
        #expect(dash.stderr.hasPrefix("wrote standard output (2 images, 2 annotations, 2 categories) from "), "\(dash.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("-")))
        let named = try dsv(["checkout", "HEAD", "-o", "/dev/stdout"], in: dir.path)
        #expect(named.status == 0 && named.stdout == Self.round1, "\(named.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/dev/stdout") == "/proc/self/fd/1")

        let fifo = dir.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDWR | O_NONBLOCK)  // a reader, so that dsv's open does not wait
        defer { close(reader) }
        #expect(try dsv(["checkout", "HEAD", "-o", "pipe"], in: dir.path).status == 0)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(reader, &buffer, buffer.count)
        #expect(count > 0 && String(decoding: buffer[0..<max(0, count)], as: UTF8.self) == Self.round1)
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "still a named pipe")

        dir.write("round2.json", Self.round1.replacingOccurrences(of: "[1.5,2,3,4]", with: "[1.5,2,3,5]"))
        #expect(try dsv(["commit", "round2.json", "-m", "round 2"], in: dir.path).status == 0)
        let page = try dsv(["diff", "--html", "-"], in: dir.path)
        #expect(page.status == 0 && page.stdout.hasPrefix("<!DOCTYPE html>") && page.stderr == "wrote standard output: 1 changed image\n",
                "\(page.stderr)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
        #expect(!leftovers.contains { $0.hasPrefix(".dsv-output.dsv-tmp-") }, "the copy made for the stream is removed")
    }

    /// `A..B` and `A...B` as `git diff` reads them; an end left out is HEAD.
    @Test func diffTakesARangeAsGitDoes() throws {
        let dir = try project()
        #expect(try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path).status == 0)
        dir.write("round2.json", Self.round1.replacingOccurrences(of: "[1.5,2,3,4]", with: "[1.5,2,3,5]"))
        #expect(try dsv(["commit", "round2.json", "-m", "round 2"], in: dir.path).status == 0)
        func stat(_ arguments: String...) throws -> (title: Substring, body: Substring) {
            let run = try dsv(["diff"] + arguments + ["--stat"], in: dir.path)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            let lines = run.stdout.split(separator: "\n", maxSplits: 1)
            return (lines.first ?? "", lines.last ?? "")
        }
        let pair = try stat("HEAD~1", "HEAD")
        #expect(pair.body.contains("1  ") && pair.body.contains("annotations"), "\(pair.body)")
        for range in ["HEAD~1..HEAD", "HEAD~1..", "HEAD~1...HEAD"] {
            let ranged = try stat(range)
            #expect(ranged.body == pair.body, "\(range)")
            #expect(ranged.title.hasPrefix(range.hasSuffix("...HEAD") ? "diff merge base of HEAD~1 and HEAD (" : "diff HEAD~1 ("), "\(ranged.title)")
        }
        #expect(try stat("..HEAD~1").title.hasPrefix("diff HEAD ("))

        // A version beside HEAD (same labels, parent HEAD~1): `side...HEAD` starts where they parted.
        let git = ["--git-dir=\(dir.file(".dsv"))", "-c", "user.name=t", "-c", "user.email=t@example.com"]
        let side = try runProcess("git", git + ["commit-tree", "HEAD^{tree}", "-p", "HEAD~1", "-m", "side"]).stdout
        #expect(try runProcess("git", git + ["tag", "side", side.trimmingCharacters(in: .whitespacesAndNewlines)]).status == 0)
        let parted = try stat("side...HEAD")
        #expect(parted.title.hasPrefix("diff merge base of side and HEAD (") && parted.body == pair.body, "\(parted.title)")
        // One with no parent at all shares no history with HEAD.
        let orphan = try runProcess("git", git + ["commit-tree", "HEAD^{tree}", "-m", "orphan"]).stdout
        #expect(try runProcess("git", git + ["tag", "orphan", orphan.trimmingCharacters(in: .whitespacesAndNewlines)]).status == 0)
        let unrelated = try dsv(["diff", "orphan...HEAD"], in: dir.path)
        #expect(unrelated.status == 2)
        #expect(unrelated.stderr == "dsv: error: 'orphan' and 'HEAD' share no history: there is no version to compare from\n", "\(unrelated.stderr)")
        #expect(try dsv(["diff", "orphan..HEAD", "--stat"], in: dir.path).status == 0, "`..` needs no common history")
        let unknown = try dsv(["diff", "nosuch..HEAD"], in: dir.path)
        #expect(unknown.status == 2 && unknown.stderr == "dsv: error: unknown revision 'nosuch'\n", "\(unknown.stderr)")
    }

    @Test func errorsAreOneLineWithTheirExitCode() throws {
        let dir = try project()
        dir.write("bad.json", #"{"images":[{"id":1,"file_name":"a.jpg"}],"annotations":[{"id":1,"image_id":7}]}"#)
        let bad = try dsv(["commit", "bad.json", "-m", "x"], in: dir.path)
        #expect(bad.status == 65)
        #expect(bad.stderr == "dsv: error: bad.json: annotation id 1 has image_id 7, which names no image\n")
        let missing = try dsv(["commit", "nope.json", "-m", "x"], in: dir.path)
        #expect(missing.status == 65)
        #expect(missing.stderr.hasPrefix("dsv: error: cannot read nope.json"))
        let noVersions = try dsv(["checkout", "HEAD", "-o", "x.json"], in: dir.path)
        #expect(noVersions.status == 2)
        #expect(noVersions.stderr.contains("no versions yet"))
        let noDiff = try dsv(["diff"], in: dir.path)
        #expect(noDiff.status == 2 && noDiff.stderr.contains("no versions yet"), "\(noDiff.stderr)")
        #expect(try dsv(["commit", "round1.json", "-m", "r1"], in: dir.path).status == 0)
        let unknown = try dsv(["checkout", "nosuch", "-o", "x.json"], in: dir.path)
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "dsv: error: unknown revision 'nosuch'\n")
        let unwritable = try dsv(["checkout", "HEAD", "-o", "/proc/nope/x.json"], in: dir.path)
        #expect(unwritable.status == 74)
        let outside = TemporaryDirectory()
        let notRepo = try dsv(["log"], in: outside.path)
        #expect(notRepo.status == 2)
        #expect(notRepo.stderr.contains("not a dsv repository"))
        for result in [bad, missing, noVersions, unknown, unwritable, notRepo] {
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }

    /// A second writer while the lock is held gets exit 75 and changes nothing.
    @Test func secondWriterGetsExit75() throws {
        let dir = try project()
        let repository = try DatasetRepository.discover(from: dir.path)
        let lock = try repository.lockForWriting()
        let blocked = try dsv(["commit", "round1.json", "-m", "r1"], in: dir.path)
        #expect(blocked.status == 75)
        #expect(blocked.stderr.contains("another dsv process holds the lock"))
        lock.release()
        #expect(try dsv(["commit", "round1.json", "-m", "r1"], in: dir.path).status == 0)
        // The small writes take the lock too: a tag, a remote.
        let held = try repository.lockForWriting()
        for arguments in [["tag", "first"], ["remote", "add", "origin", "/nowhere"]] {
            let result = try dsv(arguments, in: dir.path)
            #expect(result.status == 75, "\(arguments): \(result.stderr)")
        }
        held.release()
        #expect(try dsv(["tag", "first"], in: dir.path).status == 0)
        #expect(try dsv(["remote", "add", "origin", "/nowhere"], in: dir.path).status == 0)
    }
}
