@testable import DSVDataset
import DSVJSON
@testable import DSVStorage
import DSVTestSupport
import Testing

/// What a round taken from CVAT makes of the commit's request (`CommitOperation.Request.take`):
/// its provenance always; the images where CVAT reads the frames unless `--images` named them.
@Suite struct CVATRoundRequestTests {
    static let remembered = "s3://remembered/frames/"

    static func round(pinning: CVATRound.Pinning?, imagesGiven: Bool, in scratch: ScratchRepository) -> CVATRound.Fetched {
        let provenance = CVATProvenance(server: "https://cvat.example.com", sources: ["https://cvat.example.com/tasks/12"],
                                        version: "2.26.2", projects: [], tasks: [], jobs: [])
        return CVATRound.Fetched(server: "https://cvat.example.com", sources: [], jobs: [], tasks: [], provenance: provenance,
                                 exported: 0, fromCache: 0, pinning: pinning, unpinned: [], imagesGiven: imagesGiven,
                                 cache: CVATExportCache(repository: scratch.repository))
    }

    static func request(prefix: String?) -> CommitOperation.Request {
        CommitOperation.Request(exports: [], message: "round 8", imagesPrefix: prefix)
    }

    /// The tasks' cloud storage: its bucket is the prefix, and only the round's frames are
    /// pinned, listing only the folder they share — whatever an earlier commit remembered.
    @Test func theCloudStorageIsWhereTheImagesArePinned() throws {
        let scratch = try ScratchRepository()
        let storage = try #require(CVATCloudStorage(try JSONValue.parse(
            #"{"id":3,"provider_type":"AWS_S3_BUCKET","resource":"harbour","specific_attributes":"endpoint_url=http%3A%2F%2F127.0.0.1%3A9000"}"#)))
        let keys: Set<ExactKey> = [ExactKey("batch_01/a.jpg"), ExactKey("batch_01/b.jpg")]
        var request = Self.request(prefix: Self.remembered)
        request.take(Self.round(pinning: CVATRound.Pinning(storage: storage, keys: keys), imagesGiven: false, in: scratch))
        #expect(request.imagesPrefix == "s3://harbour/")
        #expect(request.pinScope?.keys == keys)
        #expect(request.pinScope?.listing.bucket == "harbour")
        #expect(request.pinScope?.listing.prefix == "batch_01/")
        #expect(request.provenance?.sources == ["https://cvat.example.com/tasks/12"])
    }

    /// Frames uploaded to CVAT itself are under no prefix: nothing is pinned, not even under
    /// the prefix an earlier commit remembered.
    @Test func withoutCloudStorageNothingIsPinned() throws {
        let scratch = try ScratchRepository()
        var request = Self.request(prefix: Self.remembered)
        request.take(Self.round(pinning: nil, imagesGiven: false, in: scratch))
        #expect(request.imagesPrefix == nil)
        #expect(request.pinScope == nil)
        #expect(request.provenance != nil)
    }

    /// `--images` names the prefix: it stays, every image pinned under it.
    @Test func givenImagesStay() throws {
        let scratch = try ScratchRepository()
        var request = Self.request(prefix: "s3://given/")
        request.take(Self.round(pinning: nil, imagesGiven: true, in: scratch))
        #expect(request.imagesPrefix == "s3://given/")
        #expect(request.pinScope == nil)
        #expect(request.provenance != nil)
    }
}
