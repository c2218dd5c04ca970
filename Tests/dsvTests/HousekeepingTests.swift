import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// A long history stays in few files: commits tidy as they go, `dsv gc` packs everything into one
/// file and drops what no reference reaches, and neither loses a version — not even when killed.
@Suite struct HousekeepingTests {
    let dir = TemporaryDirectory("dsv-gc")

    func census() throws -> (packs: Int, loose: Int) {
        let objects = dir.file(".dsv/objects")
        let packs = try FileManager.default.contentsOfDirectory(atPath: objects + "/pack").filter { $0.hasSuffix(".idx") }.count
        let loose = try FileManager.default.contentsOfDirectory(atPath: objects).filter { $0.count == 2 }
            .reduce(0) { $0 + (try FileManager.default.contentsOfDirectory(atPath: objects + "/" + $1)).count }
        return (packs, loose)
    }

    /// `rounds` commits of an export with one box moved each time.
    func commitRounds(_ rounds: Int) throws {
        #expect(try runProcess("python3", [supportScript("make_cvat_track_export"), dir.file("base.json"), "120"]).status == 0)
        let script = """
            import json, sys
            doc = json.load(open(sys.argv[1]))
            for i in range(int(sys.argv[2])):
                doc["annotations"][i]["bbox"][0] += 1
                json.dump(doc, open(f"{sys.argv[3]}/round{i}.json", "w"), separators=(",", ":"))
            """
        #expect(try runProcess("python3", ["-c", script, dir.file("base.json"), String(rounds), dir.path]).status == 0)
        for round in 0..<rounds {
            let result = try dsv(["commit", "round\(round).json", "-m", "round \(round)"], in: dir.path)
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    /// Every version's checkout, to compare before and after.
    func checkouts(_ count: Int) throws -> [Data] {
        var documents: [Data] = []
        for back in 0..<count {
            let out = dir.file("check-\(back).json")
            let result = try dsv(["checkout", "HEAD~\(back)", "-o", out], in: dir.path)
            #expect(result.status == 0, "\(result.stderr)")
            documents.append(FileManager.default.contents(atPath: out) ?? Data())
        }
        return documents
    }

    /// git's own `gc --aggressive` rewrites dsv's packs (deflated bodies, deltas): every version
    /// still checks out byte for byte, and diffs as before.
    @Test func versionsReadTheSameAfterGitsOwnGc() throws {
        #expect(try dsv(["init"], in: dir.path).status == 0)
        try commitRounds(3)
        let before = try checkouts(3)
        let diff = try dsv(["diff", "HEAD~2", "HEAD", "--stat"], in: dir.path)
        let gc = try runProcess("git", ["--git-dir=.dsv", "gc", "--aggressive", "--prune=now", "-q"], in: dir.path)
        #expect(gc.status == 0, "\(gc.stderr)")
        #expect(try checkouts(3) == before)
        #expect(try dsv(["diff", "HEAD~2", "HEAD", "--stat"], in: dir.path).stdout == diff.stdout)
    }

    @Test func commitsKeepTheFilesBoundedAndGcPacksEverythingIntoOne() throws {
        #expect(try dsv(["init"], in: dir.path).status == 0)
        try commitRounds(60)
        let before = try census()
        #expect(before.packs <= 10 && before.loose <= 259, "tidied as they went: \(before)")
        let versions = try checkouts(60)

        // An object no reference reaches: gone after gc; everything reachable stays.
        let unreachable = try runProcess("sh", ["-c", "echo orphan | git --git-dir=.dsv hash-object -w --stdin"], in: dir.path)
        let orphan = unreachable.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let gc = try dsv(["gc", "--json"], in: dir.path)
        #expect(gc.status == 0, "\(gc.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(gc.stdout.utf8)) as! [String: Any]
        #expect((report["packs"] as? [String: Int])?["after"] == 1 && (report["loose_objects"] as? [String: Int])?["after"] == 0, "\(report)")
        #expect(try census() == (1, 0))
        #expect(try runProcess("git", ["--git-dir=\(dir.file(".dsv"))", "cat-file", "-e", orphan]).status != 0, "the orphan is gone")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
        #expect(try checkouts(60) == versions, "every version reads as before")
        // Again: nothing to do, and nothing lost.
        #expect(try dsv(["gc"], in: dir.path).status == 0)
        #expect(try census() == (1, 0))
        #expect(try dsv(["commit", "base.json", "-m", "after gc"], in: dir.path).status == 0)
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }

    /// kill -9 of gc at spread-out moments: every version still reads, git fsck is clean.
    @Test func aKilledGcLosesNothing() throws {
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("big.json", CrashSafetyTests.export(images: 6000, shift: 0))
        #expect(try dsv(["commit", "big.json", "-m", "big"], in: dir.path).status == 0)
        try commitRounds(12)
        let versions = try checkouts(13)
        let rounds = Int(ProcessInfo.processInfo.environment["DSV_STRESS_ROUNDS"] ?? "") ?? 0
        let delays = rounds > 0 ? (0..<rounds).map { _ in Double.random(in: 0.001...0.4) } : [0.01, 0.05, 0.1, 0.2, 0.3]
        for delay in delays {
            try dsvKilled(["gc"], in: dir.path, after: delay)
            let fsck = try gitFsck(dir.file(".dsv"))
            #expect(fsck.status == 0, "after \(delay)s: \(fsck.stdout)\(fsck.stderr)")
            #expect(try checkouts(13) == versions, "after \(delay)s")
        }
        #expect(try dsv(["gc"], in: dir.path).status == 0)
        #expect(try census() == (1, 0))
    }
}
