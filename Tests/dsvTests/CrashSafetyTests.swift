import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// Killing `dsv commit` at any moment leaves the previous version as HEAD (or the new one, if
/// the branch had moved), `git fsck --strict` clean, and the next commit working at once.
@Suite struct CrashSafetyTests {
    /// A few MB of export, so that a commit takes long enough to be interrupted at many points.
    static func export(images: Int, shift: Double) -> String {
        var out = #"{"categories":[{"id":1,"name":"car"}],"images":["#
        for i in 0..<images {
            if i > 0 { out += "," }
            out += #"{"id":\#(i + 1),"file_name":"batch_\#(i / 500)/img_\#(i).jpg","width":640,"height":480}"#
        }
        out += #"],"annotations":["#
        for i in 0..<images * 4 {
            if i > 0 { out += "," }
            let x = Double(i % 600) + shift
            out += #"{"id":\#(i + 1),"image_id":\#(i / 4 + 1),"category_id":1,"segmentation":[[\#(x),1.25,\#(x + 10),1.25,\#(x + 10),20.5]],"bbox":[\#(x),1.25,10,19.25],"area":192.5,"iscrowd":0}"#
        }
        return out + "]}"
    }

    /// A repository with its first round (`r1.json`, `images` images) committed, and the next
    /// round (`r2.json`, every box moved) beside it.
    static func firstRoundCommitted(_ name: String, images: Int) throws -> TemporaryDirectory {
        let dir = TemporaryDirectory(name)
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", export(images: images, shift: 0))
        dir.write("r2.json", export(images: images, shift: 0.5))
        #expect(try dsv(["commit", "r1.json", "-m", "r1"], in: dir.path).status == 0)
        return dir
    }

    @Test func killedCommitLeavesAConsistentRepository() throws {
        let dir = try Self.firstRoundCommitted("dsv-crash", images: 6000)
        let repository = try DatasetRepository.discover(from: dir.path)
        let first = try repository.head()!

        // `make stress` sets DSV_STRESS_ROUNDS for many random moments; `make test` keeps a few
        // fixed ones spread over the commit.
        let rounds = Int(ProcessInfo.processInfo.environment["DSV_STRESS_ROUNDS"] ?? "") ?? 0
        let delays = rounds > 0 ? (0..<rounds).map { _ in Double.random(in: 0.001...0.6) }
                                : [0.005, 0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5]
        var sawOld = false
        for delay in delays {
            try dsvKilled(["commit", "r2.json", "-m", "r2"], in: dir.path, after: delay)

            let head = try DatasetRepository.discover(from: dir.path).head()!
            let fsck = try gitFsck(dir.file(".dsv"))
            #expect(fsck.status == 0, "after \(delay)s: \(fsck.stdout)\(fsck.stderr)")
            if head == first {
                sawOld = true
            } else {
                // The commit completed before the kill: it is the new version, whole.
                let version = try DatasetRepository.discover(from: dir.path).git.commit(head)
                #expect(version.parents == [first])
                #expect(try dsv(["checkout", "HEAD", "-o", "check.json"], in: dir.path).status == 0)
                #expect(try String(contentsOfFile: dir.file("check.json"), encoding: .utf8) == Self.export(images: 6000, shift: 0.5))
                _ = try runProcess("git", ["--git-dir=\(dir.file(".dsv"))", "update-ref", "refs/heads/main", first.hex])
            }
            // The lock a dead process held never blocks the next writer, which removes the
            // temporary files the dead one left.
            let lock = try DatasetRepository.discover(from: dir.path).lockForWriting()
            lock.release()
            #expect(Self.temporaries(in: dir, ".dsv", ".dsv/objects/pack").isEmpty, "after \(delay)s")
        }
        #expect(sawOld, "no kill landed before the branch moved; the export is too small to test")
        let final = try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }

    /// Ended by a signal it can act on — Ctrl-C, `kill`, a terminal closed — at any moment, a
    /// command ends as that signal, and leaves none of its temporary files: no half-written pack
    /// in the repository, no hidden partial output beside a checkout's file or zip (one found
    /// 380 MB beside a train2017 checkout), with no later command to clean up after it.
    @Test func interruptedCommandsLeaveNoTemporaryFiles() throws {
        let dir = try Self.firstRoundCommitted("dsv-interrupted", images: 6000)
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: true)
        let first = try DatasetRepository.discover(from: dir.path).head()!
        let signals = [SIGINT, SIGTERM, SIGHUP]
        var interrupted = 0
        for (index, delay) in [0.01, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.45].enumerated() {
            let signal = signals[index % signals.count]
            for command in [["commit", "r2.json", "-m", "r2"], ["checkout", "HEAD", "-o", "out/r.json"],
                            ["checkout", "HEAD", "--zip", "out/r.zip"]] {
                let ended = try dsvKilled(command, in: dir.path, after: delay, signal: signal)
                if ended.reason == .uncaughtSignal {
                    #expect(ended.status == signal, "\(command) after \(delay)s")
                    interrupted += 1
                } else {
                    #expect(ended.status == 0, "\(command) after \(delay)s")
                }
                let left = Self.temporaries(in: dir, ".dsv", ".dsv/objects/pack", "out")
                #expect(left.isEmpty, "\(command) after \(delay)s left \(left)")
            }
            if try DatasetRepository.discover(from: dir.path).head() != first {
                _ = try runProcess("git", ["--git-dir=\(dir.file(".dsv"))", "update-ref", "refs/heads/main", first.hex])
            }
        }
        #expect(interrupted >= 6, "too few commands were still running when signalled: \(interrupted)")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }

    /// The files dsv names while it writes them (`.NAME.dsv-tmp-PID-N`) in these folders of `dir`.
    static func temporaries(in dir: TemporaryDirectory, _ folders: String...) -> [String] {
        folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir.file(folder))) ?? []).filter { $0.contains(".dsv-tmp-") }
        }
    }

    /// A commit killed while git rewrote the branch, the config or a tag leaves git's lock file
    /// for it (`refs/heads/main.lock`, …), and git refuses every update while one is there.
    /// The next writer holds dsv's lock, so no other writer is running: it removes them and
    /// goes on.
    @Test func gitLockFilesAKilledWriterLeftDoNotBlockTheNext() throws {
        let dir = try Self.firstRoundCommitted("dsv-stale-locks", images: 20)
        #expect(try dsv(["tag", "first"], in: dir.path).status == 0)
        let stale = ["refs/heads/main.lock", "refs/tags/first.lock", "config.lock", "packed-refs.lock", "HEAD.lock"]
        for name in stale { dir.write(".dsv/\(name)", "") }
        let next = try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path)
        #expect(next.status == 0, "\(next.stderr)")
        for name in stale { #expect(!FileManager.default.fileExists(atPath: dir.file(".dsv/\(name)")), "\(name) is still there") }
        #expect(try dsv(["log"], in: dir.path).stdout.contains("r2"))
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }

    /// Two commits started together on one repository: each ends with exit 0 or with 75 and
    /// the lock message; the repository stays consistent and holds exactly the commits that
    /// succeeded.
    @Test func concurrentWritersEndCleanly() throws {
        let dir = TemporaryDirectory("dsv-concurrent")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let rounds = max(3, Int(ProcessInfo.processInfo.environment["DSV_STRESS_ROUNDS"] ?? "") ?? 0)
        for round in 0..<rounds {
            for side in 0..<2 { dir.write("e\(side).json", Self.export(images: 1500, shift: Double(round * 2 + side) / 4)) }
            let before = try DatasetRepository.discover(from: dir.path).head()
            let processes = try (0..<2).map { side -> (Process, Pipe) in
                let process = Process()
                let err = Pipe()
                process.executableURL = URL(fileURLWithPath: dsvBinary)
                process.arguments = ["commit", "e\(side).json", "-m", "side \(side)"]
                process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
                process.standardOutput = FileHandle.nullDevice
                process.standardError = err
                try process.run()
                return (process, err)
            }
            var succeeded = 0
            for (process, err) in processes {
                let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                if process.terminationStatus == 0 {
                    succeeded += 1
                } else {
                    #expect(process.terminationStatus == 75, "\(message)")
                    #expect(message.hasPrefix("dsv: error: another dsv process holds the lock"))
                }
            }
            #expect(succeeded >= 1)
            #expect(try gitFsck(dir.file(".dsv")).status == 0)
            var commits = 0
            var cursor = try DatasetRepository.discover(from: dir.path).head()
            let repository = try DatasetRepository.discover(from: dir.path)
            while let id = cursor, id != before {
                commits += 1
                cursor = try repository.git.commit(id).parents.first
            }
            #expect(commits == succeeded, "one version per successful commit, none lost or half-made")
        }
    }
}
