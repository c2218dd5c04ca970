@testable import DSVNative
import DSVTestSupport
import Foundation
import Glibc
import Testing

struct TemporaryFilesTests {
    /// A writer forgets its file on commit and again as it goes: the second forget must not free
    /// the slot that another file has been registered in since (the first free slot is reused).
    @Test func forgettingTwiceLeavesALaterRegistration() {
        let first = TemporaryFiles.register("/tmp/dsv-test-first.tmp")
        #expect(TemporaryFiles.isRegistered(first))
        TemporaryFiles.forget(first)
        #expect(!TemporaryFiles.isRegistered(first))
        let second = TemporaryFiles.register("/tmp/dsv-test-second.tmp")
        TemporaryFiles.forget(first)
        #expect(TemporaryFiles.isRegistered(second))
        TemporaryFiles.forget(second)
        #expect(!TemporaryFiles.isRegistered(second))
    }

    /// A file written under a temporary name is either placed under its destination or, dropped
    /// unplaced, removed; its registration is forgotten once either way, so that a later file
    /// registered in the freed slot stays registered when the placed one goes.
    @Test func aTemporaryFileIsPlacedOrRemovedAndForgottenOnce() throws {
        let dir = TemporaryDirectory()
        let destination = dir.file("out.bin")
        var dropped: (path: String, registration: TemporaryFiles.Registration)?
        do {
            let file = try TemporaryFile(beside: destination)
            dropped = (file.path, file.registration)
            #expect(FileManager.default.fileExists(atPath: file.path) && TemporaryFiles.isRegistered(file.registration))
        }
        #expect(!FileManager.default.fileExists(atPath: dropped!.path), "removed when dropped")
        #expect(!TemporaryFiles.isRegistered(dropped!.registration))
        #expect(FileSystem.entries(of: dir.path).isEmpty)

        var file: TemporaryFile? = try TemporaryFile(beside: destination)
        #expect(Array("whole".utf8).withUnsafeBytes { write(file!.descriptor, $0.baseAddress, $0.count) } == 5)
        let placed = (file!.path, file!.registration)
        try file!.place()
        #expect(try String(contentsOfFile: destination, encoding: .utf8) == "whole")
        #expect(!FileManager.default.fileExists(atPath: placed.0) && !TemporaryFiles.isRegistered(placed.1))
        let later = TemporaryFiles.register(dir.file("later.tmp"))
        file = nil
        #expect(TemporaryFiles.isRegistered(later), "the placed file's end forgot nothing more")
        #expect(FileManager.default.fileExists(atPath: destination))
        TemporaryFiles.forget(later)
    }
}
