@testable import DSVDataset
import DSVNative
import DSVTestSupport
import Foundation
import Testing

/// The hashing a `commit` starts before its arguments are parsed is taken over only for exactly
/// the files it then opens; whatever was guessed, the digests recorded are the files' own.
@Suite struct ExportPrefetchTests {
    /// Bytes enough for a hashing thread of their own (`BackgroundDigests.threadThreshold`).
    static func largeFile(_ directory: TemporaryDirectory, _ name: String, seed: UInt8) -> String {
        var bytes = Data(count: BackgroundDigests.threadThreshold + 12_345)
        bytes.withUnsafeMutableBytes { raw in
            for i in stride(from: 0, to: raw.count, by: 97) { raw[i] = UInt8(truncatingIfNeeded: i) &+ seed }
        }
        return directory.write(name, bytes)
    }

    static func sha256(_ path: String) -> String { hexString(Hasher.digest(.sha256, Fixture.bytes(path))) }

    static func digests(of paths: [String], prefetched: ExportPrefetch?) throws -> [String] {
        try ExportInput.open(paths.map { ExportSource(path: $0) }, prefetched: prefetched).sources.resolved.map(\.sha256)
    }

    @Test func theFilesOpenedTakeTheHashingOver() throws {
        let dir = TemporaryDirectory()
        let (first, second) = (Self.largeFile(dir, "a.json", seed: 1), Self.largeFile(dir, "b.json", seed: 2))
        let prefetch = try #require(ExportPrefetch.start([first, "--subset", "Train", second, "-m", "round 2"]))
        #expect(prefetch.paths == [first, second])
        #expect(try Self.digests(of: [first, second], prefetched: prefetch) == [Self.sha256(first), Self.sha256(second)])
    }

    /// A message or an option's value that names a file is one more guess: the files opened are
    /// then not those hashed, and are hashed afresh.
    @Test func otherFilesAreHashedAfresh() throws {
        let dir = TemporaryDirectory()
        let (export, message) = (Self.largeFile(dir, "a.json", seed: 1), Self.largeFile(dir, "b.json", seed: 2))
        let prefetch = try #require(ExportPrefetch.start([export, "-m", message]))
        #expect(prefetch.adopted(for: [export]) == nil)
        #expect(try Self.digests(of: [export], prefetched: ExportPrefetch.start([export, "-m", message])) == [Self.sha256(export)])
        #expect(try Self.digests(of: [message, export], prefetched: ExportPrefetch.start([export, message])) ==
                [Self.sha256(message), Self.sha256(export)])
    }

    /// Nothing is guessed where a guess could read the wrong bytes or block: a pipe (opening one
    /// waits for a writer), a folder, a zip (read as its entries), a path that `-C` would move, a
    /// URL; nor for files too small to be worth a thread.
    @Test func nothingIsStartedForWhatIsNotAPlainLargeFile() throws {
        let dir = TemporaryDirectory()
        let large = Self.largeFile(dir, "a.json", seed: 1)
        let fifo = dir.file("pipe.json")
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(ExportPrefetch.start([fifo]) == nil)
        #expect(ExportPrefetch.start([dir.path]) == nil)
        #expect(ExportPrefetch.start([dir.write("small.json", "{}")]) == nil)
        #expect(ExportPrefetch.start(["-C", dir.path, large]) == nil)
        #expect(ExportPrefetch.start(["-C\(dir.path)", large]) == nil)
        #expect(ExportPrefetch.start(["https://cvat.example.com/tasks/3"]) == nil)
        let zip = dir.file("export.zip")
        try makeZip(zip, ["--stored", "annotations/instances_default.json=" + large])
        #expect(ExportPrefetch.start([zip]) == nil)
        // The pipe is still unopened: a writer finds no reader (`ENXIO`), so nothing waits on it.
        #expect(open(fifo, O_WRONLY | O_NONBLOCK) == -1 && errno == ENXIO)
    }
}
