import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// The zips `checkout --zip` writes are read back by our reader and by another producer's
/// (Python's zipfile), deflated and stored, empty and large, with ZIP64 where the entry count
/// needs it.
@Suite struct ZipWriterTests {
    let dir = TemporaryDirectory("dsv-zipwriter")

    @Test func entriesReadBackByOurReaderAndPythons() throws {
        var random = SplitMix(seed: 11)
        let text = (0..<40_000).map { "{\"id\":\($0),\"bbox\":[\(random.next() % 1000),\(random.next() % 100)]}" }.joined(separator: ",")
        let noise = (0..<300_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let files: [(String, Data, Bool)] = [
            ("annotations/instances_Train.json", Data(("[" + text + "]").utf8), true),
            ("annotations/empty.json", Data(), true),
            ("images/Train/ünïcode name.png", Data(noise), false),
            ("images/Train/deflated-noise.bin", Data(noise), true),
        ]
        let writer = try ZipWriter(path: dir.file("out.zip"), time: 1_764_000_000)
        for (name, data, compress) in files {
            let source = dir.write("src/\(UUID().uuidString)", data)
            try writer.add(name, from: source, compress: compress)
        }
        try writer.addDirectory("images/Validation/")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.zip")), "not there before finish()")
        try writer.finish()

        let archive = try ZipArchive(path: dir.file("out.zip"))
        #expect(archive.entries.map(\.name) == files.map(\.0) + ["images/Validation/"])
        for (entry, (_, data, _)) in zip(archive.entries, files) {
            let contents = try archive.contents(of: entry, name: entry.name)
            #expect(Data(contents.bytes) == data, "\(entry.name)")
        }
        let python = try runProcess("python3", ["-c", """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            print(z.getinfo("annotations/instances_Train.json").compress_type, z.getinfo("images/Train/ünïcode name.png").compress_type,
                  z.getinfo("images/Validation/").is_dir(), z.getinfo("annotations/empty.json").date_time)
            """, dir.file("out.zip")])
        #expect(python.status == 0, "\(python.stderr)")
        #expect(python.stdout == "8 0 True (2025, 11, 24, 16, 0, 0)\n", "deflated, stored, a folder, the version's time")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    /// More than 65,535 entries need ZIP64's end records (train2017 has 118,287 images).
    @Test func zip64ForManyEntries() throws {
        let source = dir.write("tiny.jpg", Data([0xFF, 0xD8, 0xFF]))
        let writer = try ZipWriter(path: dir.file("many.zip"), time: 0)
        for index in 0..<66_000 { try writer.add("images/default/\(index).jpg", from: source, compress: false) }
        try writer.finish()
        let archive = try ZipArchive(path: dir.file("many.zip"))
        #expect(archive.entries.count == 66_000 && archive.entries.last?.name == "images/default/65999.jpg")
        let python = try runProcess("python3", ["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(len(z.namelist()), z.read('images/default/65999.jpg').hex())",
                                                dir.file("many.zip")])
        #expect(python.stdout == "66000 ffd8ff\n", "\(python.stderr)")
    }

    @Test func anAbandonedArchiveLeavesNothing() throws {
        do {
            let writer = try ZipWriter(path: dir.file("gone.zip"), time: 0)
            try writer.add("a.txt", from: dir.write("a.txt", "a"), compress: true)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.txt"])
    }
}
