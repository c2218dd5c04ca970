@testable import DSVNative
import DSVTestSupport
import Foundation
import Glibc
import Testing

/// Which files a command renames over and which it writes where they stand.
@Suite struct OutputDestinationTests {
    @Test func whatIsRenamedOverAndWhatIsWrittenInPlace() throws {
        let dir = TemporaryDirectory()
        #expect(OutputDestination.named("-") == .descriptor(1, name: "-"))
        #expect(OutputDestination.named("-").name == "standard output")
        #expect(OutputDestination.named("/dev/stdout") == .descriptor(1, name: "/dev/stdout"))
        #expect(OutputDestination.named("/dev/stderr") == .descriptor(2, name: "/dev/stderr"))
        #expect(OutputDestination.named("/dev/fd/2") == .descriptor(2, name: "/dev/fd/2"))
        #expect(OutputDestination.named("/proc/self/fd/1") == .descriptor(1, name: "/proc/self/fd/1"))
        #expect(OutputDestination.named("/dev/null") == .special("/dev/null"))
        #expect(OutputDestination.named("/dev/fd/987") == .file("/dev/fd/987"), "no such descriptor: refused where it is made")
        try FileManager.default.createDirectory(atPath: dir.file("fd"), withIntermediateDirectories: true)
        #expect(OutputDestination.named(dir.file("fd/1")) == .file(dir.file("fd/1")), "a file named 1 elsewhere is a file")
        #expect(OutputDestination.named("/dev/shm/dsv-\(getpid()).json") == .file("/dev/shm/dsv-\(getpid()).json"),
                "a new file on the tmpfs in /dev is a file")
        #expect(mkfifo(dir.file("pipe"), 0o600) == 0)
        #expect(OutputDestination.named(dir.file("pipe")) == .special(dir.file("pipe")))
        dir.write("old.json", "{}")
        #expect(OutputDestination.named(dir.file("old.json")) == .file(dir.file("old.json")))
        #expect(OutputDestination.named(dir.file("new.json")) == .file(dir.file("new.json")))
        #expect(OutputDestination.named("relative.json") == .file("relative.json"))
        #expect(symlink(dir.file("old.json"), dir.file("link.json")) == 0)
        #expect(OutputDestination.named(dir.file("link.json")) == .file(dir.file("link.json")), "a link is replaced, as before")
        #expect(OutputDestination.named(dir.path + "/") == .file(dir.path + "/"), "a folder is the caller's to refuse")
    }

    /// A file for a destination written where it stands is made in the temporary folder and
    /// copied in whole when placed; nothing of it is left.
    @Test func aFileForANamedPipeIsCopiedIntoIt() throws {
        let dir = TemporaryDirectory()
        let fifo = dir.file("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDWR | O_NONBLOCK)
        defer { close(reader) }
        let writer = try AtomicFileWriter(to: .named(fifo))
        try writer.write(Array("streamed".utf8))
        #expect(FileSystem.entries(of: dir.path) == ["pipe"], "nothing is made beside it")
        try writer.commit()
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = read(reader, &buffer, buffer.count)
        #expect(count == 8 && String(decoding: buffer[0..<8], as: UTF8.self) == "streamed")

        let file = try TemporaryFile(for: .special(fifo))
        let path = file.path
        #expect(path.hasPrefix((ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp") + "/.dsv-output.dsv-tmp-"))
        #expect(FileManager.default.fileExists(atPath: path))
        try file.place()
        #expect(!FileManager.default.fileExists(atPath: path) && !TemporaryFiles.isRegistered(file.registration))
    }
}
