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

    @Test func killedCommitLeavesAConsistentRepository() throws {
        let dir = TemporaryDirectory("dsv-crash")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        dir.write("r1.json", Self.export(images: 6000, shift: 0))
        dir.write("r2.json", Self.export(images: 6000, shift: 0.5))
        #expect(try dsv(["commit", "r1.json", "-m", "r1"], in: dir.path).status == 0)
        let repository = try DatasetRepository.discover(from: dir.path)
        let first = try repository.head()!

        var sawOld = false
        for delay in [0.005, 0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.5] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: dsvBinary)
            process.arguments = ["commit", "r2.json", "-m", "r2"]
            process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()

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
            // The lock a dead process held never blocks the next writer.
            let lock = try DatasetRepository.discover(from: dir.path).lockForWriting()
            lock.release()
        }
        #expect(sawOld, "no kill landed before the branch moved; the export is too small to test")
        let final = try dsv(["commit", "r2.json", "-m", "r2"], in: dir.path)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }
}
