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

/// A version's shard count follows its size: the round that crosses a threshold (here 1,536
/// images, 2⁹ → 2¹⁰ shards) lays every shard out anew, and is still diffed, checked out and
/// stated image by image as any other round.
@Suite struct ShardThresholdTests {
    /// A CVAT-style export of `count` images (ids from 1), two annotations each.
    static func export(_ count: Int, shift: Double = 0) -> String {
        var images: [String] = [], annotations: [String] = []
        for i in 0..<count {
            images.append(#"{"id":\#(i + 1),"width":640,"height":480,"file_name":"job_\#(i % 5)/frame_\#(i).png"}"#)
            for j in 0..<2 {
                annotations.append(#"{"id":\#(2 * i + j + 1),"image_id":\#(i + 1),"category_id":1,"bbox":[\#(Double(j) + (i == 7 ? shift : 0)),2.5,30,40],"area":1200,"iscrowd":0}"#)
            }
        }
        return #"{"categories":[{"id":1,"name":"car"}],"images":[\#(images.joined(separator: ","))],"annotations":[\#(annotations.joined(separator: ","))]}"#
    }

    @Test func crossingAThresholdChangesOnlyWhatChanged() throws {
        let scratch = try ScratchRepository()
        let below = scratch.directory.write("below.json", Self.export(1_535))
        let above = scratch.directory.write("above.json", Self.export(1_536, shift: 0.5))
        try scratch.commit([below])
        try scratch.commit([above])
        #expect(try scratch.version("HEAD~1").summary.shardLayout == ShardLayout(bits: 9))
        #expect(try scratch.version().summary.shardLayout == ShardLayout(bits: 10))
        #expect(try scratch.checkout("HEAD~1") == Fixture.bytes(below))
        #expect(try scratch.checkout() == Fixture.bytes(above))
        // One image added, one image's two boxes moved: nothing else, though every shard is new.
        let diff = try VersionDiff.between(try scratch.version("HEAD~1"), try scratch.version())
        #expect(FormatCompatibilityTests.counts(diff) == [1, 0, 1, 1_534, 2, 0, 2, 0])
        #expect(diff.images.map(\.key) == ["job_0/frame_1535.png", "job_2/frame_7.png"])
        let back = try StatusOperation.run(exports: [below], against: try scratch.version(), in: scratch.repository)
        #expect(FormatCompatibilityTests.counts(back) == [0, 1, 1, 1_534, 0, 2, 2, 0])
        #expect(try gitFsck(scratch.repository.path).status == 0)
    }
}
