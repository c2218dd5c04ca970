import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// Versions in format 1 (2¹⁶ shards whatever the size), as the dsv before format 2 wrote them
/// (`Fixtures/format1/repository.bundle`: its two rounds of a 300-image export), stay readable:
/// they check out byte for byte, diff among themselves and against format 2 versions, and a
/// commit on top of them writes format 2.
@Suite struct FormatCompatibilityTests {
    static let round1 = Fixture.path("format1/round1.json"), round2 = Fixture.path("format1/round2.json")

    /// A repository holding the fixture's history on `main`.
    static func formatOneRepository() throws -> ScratchRepository {
        let scratch = try ScratchRepository()
        let fetched = try runProcess("git", ["--git-dir=\(scratch.repository.path)", "fetch", "-q",
                                            Fixture.path("format1/repository.bundle"), "main:main"])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        return scratch
    }

    static func counts(_ diff: VersionDiff) -> [Int] {
        [diff.imagesAdded, diff.imagesRemoved, diff.imagesModified, diff.imagesUnchanged,
         diff.annotationsAdded, diff.annotationsRemoved, diff.annotationsModified, diff.annotationsRelabeled]
    }

    @Test func formatOneVersionsCheckOutAndDiffAsTheyDid() throws {
        let scratch = try Self.formatOneRepository()
        #expect(try scratch.version("HEAD~1").summary.format == 1)
        #expect(try scratch.version().summary.shardLayout == .format1)
        #expect(try scratch.checkout("HEAD~1") == Fixture.bytes(Self.round1))
        #expect(try scratch.checkout() == Fixture.bytes(Self.round2))
        let diff = try VersionDiff.between(try scratch.version("HEAD~1"), try scratch.version())
        // What the dsv that wrote them printed: 1 image added, 1 removed, 6 modified; 1
        // annotation added, 3 removed, 5 modified.
        #expect(Self.counts(diff) == [1, 1, 6, 293, 1, 3, 5, 0])
    }

    @Test func aCommitOnTopWritesFormatTwoAndDiffsAcrossFormats() throws {
        let scratch = try Self.formatOneRepository()
        let formatOneDiff = Self.counts(try VersionDiff.between(try scratch.version("HEAD~1"), try scratch.version()))
        // Round 1 again: the same content in the layout its size calls for (2⁹ shards).
        try scratch.commit([Self.round1], "round 1 in format 2")
        let head = try scratch.version()
        #expect(head.summary.format == 2)
        #expect(head.summary.shardLayout == ShardLayout(bits: 9))
        #expect(try scratch.checkout() == Fixture.bytes(Self.round1))
        let same = try VersionDiff.between(try scratch.version("HEAD~2"), head)
        #expect(Self.counts(same) == [0, 0, 0, 300, 0, 0, 0, 0])
        // Format 2 → format 1 says what format 1 → format 1 said.
        let across = try VersionDiff.between(head, try scratch.version("HEAD~1"))
        #expect(Self.counts(across) == formatOneDiff)
        // Status of round 2 against a format 2 head, and a commit: format 2 → format 2 alike.
        let status = try StatusOperation.run(exports: [Self.round2], against: head, in: scratch.repository)
        #expect(Self.counts(status) == formatOneDiff)
        try scratch.commit([Self.round2], "round 2 in format 2")
        #expect(Self.counts(try VersionDiff.between(try scratch.version("HEAD~1"), try scratch.version())) == formatOneDiff)
        #expect(try scratch.checkout() == Fixture.bytes(Self.round2))
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }

    @Test func statusAgainstAFormatOneHeadComparesEveryRecord() throws {
        let scratch = try Self.formatOneRepository()
        let status = try StatusOperation.run(exports: [Self.round2], against: try scratch.version(), in: scratch.repository)
        #expect(Self.counts(status) == [0, 0, 0, 300, 0, 0, 0, 0])
        let back = try StatusOperation.run(exports: [Self.round1], against: try scratch.version(), in: scratch.repository)
        #expect(Self.counts(back) == [1, 1, 6, 293, 3, 1, 5, 0])
    }
}
