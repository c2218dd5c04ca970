import DSVTestSupport
import Foundation
import Testing

/// A small tmpfs mounted for one test: full after a few pages, or read-only. Needs root with
/// CAP_SYS_ADMIN (as the test machine has); elsewhere these tests are skipped.
final class SmallFileSystem {
    let path: String

    static let available: Bool = {
        guard let probe = try? SmallFileSystem(bytes: 4096, readOnly: false) else { return false }
        _ = probe
        return true
    }()

    init(bytes: Int, readOnly: Bool) throws {
        path = NSTemporaryDirectory() + "dsv-fs-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let options = "size=\(bytes)" + (readOnly ? ",ro" : "")
        let mounted = try runProcess("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path])
        guard mounted.status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            throw CocoaError(.fileWriteNoPermission)
        }
    }

    /// Everything below the mount point, relative paths.
    var contents: [String] { (try? FileManager.default.subpathsOfDirectory(atPath: path)) ?? [] }

    deinit {
        _ = try? runProcess("umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// No space left, or a read-only folder: exit 74 with the path, and no partial file.
@Suite(.enabled(if: SmallFileSystem.available, "needs root to mount a small tmpfs"))
struct DiskTroubleTests {
    func repository() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory("dsv-disk")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let images = (1...400).map { #"{"id":\#($0),"file_name":"img_\#($0).jpg","width":640,"height":480}"# }
        dir.write("e.json", #"{"images":[\#(images.joined(separator: ","))],"annotations":[]}"#)
        #expect(try dsv(["commit", "e.json", "-m", "r1"], in: dir.path).status == 0)
        return dir
    }

    @Test func checkoutOntoAFullDisk() throws {
        let dir = try repository()
        let full = try SmallFileSystem(bytes: 8192, readOnly: false)
        let result = try dsv(["checkout", "HEAD", "-o", "\(full.path)/out.json"], in: dir.path)
        #expect(result.status == 74)
        #expect(result.stderr == "dsv: error: cannot write \(full.path)/out.json: No space left on device\n")
        #expect(full.contents.isEmpty, "no partial file: \(full.contents)")
    }

    /// A repository whose disk fills up while the commit streams its shards into the pack:
    /// exit 74 naming the cause, no commit, no pack or temporary file left behind, and the
    /// repository still passes `git fsck`.
    @Test func commitOntoAFullDisk() throws {
        let full = try SmallFileSystem(bytes: 1 << 20, readOnly: false)
        #expect(try dsv(["init"], in: full.path).status == 0)
        let inputs = TemporaryDirectory("dsv-disk-input")
        var generator = SystemRandomNumberGenerator()
        let images = (1...3000).map { #"{"id":\#($0),"file_name":"f/\#(UInt64.random(in: 0...UInt64.max, using: &generator)).jpg"}"# }
        let annotations = (1...3000).map { index in
            let points = (0..<40).map { _ in String(Double.random(in: 0..<640, using: &generator)) }.joined(separator: ",")
            return #"{"id":\#(index),"image_id":\#(index),"segmentation":[[\#(points)]]}"#
        }
        let export = inputs.write("big.json", #"{"images":[\#(images.joined(separator: ","))],"annotations":[\#(annotations.joined(separator: ","))]}"#)
        let result = try dsv(["commit", export, "-m", "too big"], in: full.path)
        #expect(result.status == 74)
        #expect(result.stderr.hasPrefix("dsv: error: ") && result.stderr.contains("No space left on device"))
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
        #expect(try dsv(["log"], in: full.path).stderr.contains("no versions yet"), "no commit")
        let packs = full.contents.filter { $0.contains("objects/pack/") }
        #expect(packs.isEmpty, "nothing left in objects/pack: \(packs)")
        #expect(try gitFsck(full.path + "/.dsv").status == 0)
    }

    @Test func checkoutIntoAReadOnlyFolder() throws {
        let dir = try repository()
        let readOnly = try SmallFileSystem(bytes: 8192, readOnly: true)
        let result = try dsv(["checkout", "HEAD", "-o", "\(readOnly.path)/out.json"], in: dir.path)
        #expect(result.status == 74)
        #expect(result.stderr.contains(readOnly.path) && result.stderr.contains("Read-only file system"))
    }
}

@Suite(.enabled(if: SmallFileSystem.available && TestS3.current != nil, "needs root and the test S3"))
struct MaterializeDiskTroubleTests {
    let s3 = TestS3.current!

    /// A version of 12 images of 20 KB each.
    func project() throws -> TemporaryDirectory {
        let bucket = try s3.makeBucket("disk")
        let client = try s3.client()
        for i in 0..<12 { try client.putObject(bucket: bucket, key: "p/img_\(i).jpg", body: [UInt8](repeating: UInt8(i), count: 20_000)) }
        let dir = TemporaryDirectory("dsv-disk-s3")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let images = (0..<12).map { #"{"id":\#($0 + 1),"file_name":"img_\#($0).jpg"}"# }
        dir.write("e.json", #"{"images":[\#(images.joined(separator: ","))],"annotations":[]}"#)
        #expect(try dsv(["commit", "e.json", "-m", "r1", "--images", "s3://\(bucket)/p/"], in: dir.path).status == 0)
        return dir
    }

    /// The output folder fills up (the cache is on another file system, so files are copied):
    /// exit 74 naming the file, and every file in the folder is whole.
    @Test func outputFolderFillsUp() throws {
        let dir = try project()
        let full = try SmallFileSystem(bytes: 64 * 1024, readOnly: false)
        let result = try dsv(["materialize", "--out", full.path, "--cache", dir.file("cache"), "-j", "2"], in: dir.path)
        #expect(result.status == 74)
        #expect(result.stderr.hasPrefix("dsv: error: ") && result.stderr.contains("No space left on device"))
        #expect(result.stderr.contains(full.path))
        for name in full.contents {
            #expect(!name.contains("dsv-tmp"), "no temporary file left: \(name)")
            #expect((try? FileManager.default.attributesOfItem(atPath: "\(full.path)/\(name)")[.size] as? Int) == 20_000,
                    "\(name) is whole")
        }
    }

    /// The cache fills up mid-download: exit 74, no partial entry.
    @Test func cacheFillsUp() throws {
        let dir = try project()
        let full = try SmallFileSystem(bytes: 64 * 1024, readOnly: false)
        let result = try dsv(["materialize", "--out", "out", "--cache", full.path], in: dir.path)
        #expect(result.status == 74)
        #expect(result.stderr.contains("No space left on device"))
        let partial = full.contents.filter { $0.hasPrefix("tmp/") && $0.count > 6 }
        #expect(partial.isEmpty, "no partial download left: \(partial)")
    }

    @Test func readOnlyOutputFolder() throws {
        let dir = try project()
        let readOnly = try SmallFileSystem(bytes: 8192, readOnly: true)
        let result = try dsv(["materialize", "--out", "\(readOnly.path)/images", "--cache", dir.file("cache")], in: dir.path)
        #expect(result.status == 74)
        #expect(result.stderr.contains("\(readOnly.path)/images") && result.stderr.contains("Read-only file system"))
    }
}
