import Dispatch
import DSVNative
import DSVTestSupport
import Foundation
import Testing

/// A checkout's file is written in parts by several threads, each part rendered in a window of
/// its own; only `commit` puts it where a reader looks.
@Suite struct ParallelOutputFileTests {
    @Test func partsWrittenAtOnceMakeTheWholeFileAndOnlyCommitPlacesIt() throws {
        let folder = TemporaryDirectory("parallel-output")
        let destination = folder.path + "/out.json"
        let expected = (0..<(3 << 20) + 17).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 3) }
        let file = try ParallelOutputFile(destination: destination, count: expected.count)
        let parts = 7
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = expected.count * part / parts..<expected.count * (part + 1) / parts
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: range.count, alignment: 1)
            defer { buffer.deallocate() }
            let window = OutputWindow(range: range, buffer: buffer)
            for offset in range { window.store(expected[offset], at: offset) }
            try! file.write(window.bytes, at: range.lowerBound)
        }
        #expect(!FileManager.default.fileExists(atPath: destination))
        try Self.expectCommitted(file, holding: expected, alone: folder)
    }

    /// Past the page cache a write takes whole aligned blocks: parts of any size — some
    /// smaller than a block, several inside one block, in buffers placed anywhere or where
    /// `bufferShift` says — make the same file, down to its short last block.
    @Test(arguments: [false, true])
    func partsOfAnySizeMakeTheSameFilePastThePageCache(placedAnywhere: Bool) throws {
        let folder = TemporaryDirectory("parallel-output")
        let destination = folder.path + "/out.json"
        let expected = (0..<(1 << 20) + 4_099).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        let file = try ParallelOutputFile(destination: destination, count: expected.count, direct: true)
        // The test's files are on a disk file system, which takes direct I/O.
        #expect(file.alignment > 0)
        // Cuts spread over the file by a multiplicative hash (the same on every run, so that a
        // failure reproduces), with some at and around block boundaries and near the end.
        var cuts: Set<Int> = [0, expected.count, 1, 2, 4_095, 4_096, 4_097, 8_192]
        for i in 1..<120 { cuts.insert(i &* 2_654_435_761 % expected.count) }
        for i in 1..<20 { cuts.insert(expected.count - i &* 257 % 5_000 - 1) }
        let bounds = cuts.sorted()
        let parts = Array(zip(bounds, bounds.dropFirst()).map { $0..<$1 })
        let shifts = parts.indices.map { ($0 &* 40_503 + 1) % 4_096 }
        DispatchQueue.concurrentPerform(iterations: parts.count) { part in
            let range = parts[part]
            let memory = UnsafeMutableRawPointer.allocate(byteCount: range.count + file.alignment, alignment: 4_096)
            defer { memory.deallocate() }
            let buffer = memory + (placedAnywhere ? shifts[part] : file.bufferShift(for: range.lowerBound, base: memory))
            let window = OutputWindow(range: range, buffer: buffer)
            for offset in range { window.store(expected[offset], at: offset) }
            try! file.write(window.bytes, at: range.lowerBound)
        }
        try Self.expectCommitted(file, holding: expected, alone: folder)
    }

    /// Writers render part after part into their two buffers while the previous part is
    /// written (on a thread of their own past the page cache): the file is whole once
    /// `commit` returns, whichever way it was written.
    @Test(arguments: [false, true])
    func partsFromWritersMakeTheWholeFile(direct: Bool) throws {
        let folder = TemporaryDirectory("parallel-output")
        let destination = folder.path + "/out.json"
        let expected = (0..<(5 << 20) + 1_234).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 11) }
        let file = try ParallelOutputFile(destination: destination, count: expected.count, direct: direct)
        #expect((file.alignment > 0) == direct)
        let writers = 3, partsEach = 9, parts = writers * partsEach
        DispatchQueue.concurrentPerform(iterations: writers) { writerIndex in
            let writer = file.makeWriter()
            for part in stride(from: writerIndex, to: parts, by: writers) {
                let range = expected.count * part / parts..<expected.count * (part + 1) / parts
                let window = writer.window(for: range)
                for offset in range { window.store(expected[offset], at: offset) }
                writer.write(window)
            }
        }
        try Self.expectCommitted(file, holding: expected, alone: folder)
    }

    /// Commits `file`: its destination then holds `expected`, and `folder` holds nothing but
    /// it, `out.json` (no temporary file is left).
    static func expectCommitted(_ file: ParallelOutputFile, holding expected: [UInt8], alone folder: TemporaryDirectory) throws {
        try file.commit()
        #expect(FileManager.default.contents(atPath: file.destination) == Data(expected))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.json"])
    }

    @Test func aFileNeverCommittedLeavesNothing() throws {
        let folder = TemporaryDirectory("parallel-output")
        do {
            let file = try ParallelOutputFile(destination: folder.path + "/out.json", count: 10)
            try [UInt8](repeating: 65, count: 10).withUnsafeBytes { try file.write($0, at: 0) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func aWindowKeepsOnlyWhatFallsInsideIt() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4, alignment: 1)
        defer { buffer.deallocate() }
        let window = OutputWindow(range: 10..<14, buffer: buffer)
        let text = Array("abcdefgh".utf8)
        text.withUnsafeBytes { window.clipped($0, at: 8) }   // "cdef" falls in 10..<14
        #expect(Array(window.bytes) == Array("cdef".utf8))
        text.withUnsafeBytes { window.clipped($0, at: 0) }   // ends before the window: nothing
        text.withUnsafeBytes { window.clipped($0, at: 14) }  // starts after it: nothing
        Array("XY".utf8).withUnsafeBytes { window.clipped($0, at: 13) }
        #expect(Array(window.bytes) == Array("cdeX".utf8))
    }
}
