@testable import DSVDataset
import DSVNative
import DSVStorage
import DSVTestSupport
import Testing

@Suite struct CheckoutLayoutTests {
    /// An order stream that disagrees with the shards — runs past a record's annotations, an
    /// image out of range, lifted ids missing — is a corrupt version, reported as one: never a
    /// crash, never a wrong file. (The runs are measured on all cores; the first bad one wins.)
    @Test func orderStreamsThatDisagreeWithTheShardsAreRefused() throws {
        let scratch = try ScratchRepository()
        try scratch.commit([Fixture.path("good/cvat_attributes.json")])
        let version = try scratch.version()
        let shards = CheckoutShards(views: try version.views())
        let subset = version.subsets[0].name
        let order = try version.order(of: subset), header = try version.header(of: subset)
        let sound = try CheckoutDocument(shards: shards, order: order, header: header, subset: subset)
        #expect(sound.size == Fixture.bytes(Fixture.path("good/cvat_attributes.json")).count)
        try #require(!order.runs.isEmpty && !order.annotationIDs.isEmpty)

        var pastTheRecord = order
        pastTheRecord.runs[order.runs.count - 1].length += 1
        var imageOutOfRange = order
        imageOutOfRange.runs[0].image = Int32(order.ordinals.count)
        var idsMissing = order
        idsMissing.annotationIDs.removeLast()
        for bad in [pastTheRecord, imageOutOfRange, idsMissing] {
            #expect {
                try CheckoutDocument(shards: shards, order: bad, header: header, subset: subset)
            } throws: { error in
                guard case .repository(.corruptVersion) = error as? CheckoutError else { return false }
                return true
            }
        }
    }
}

@Suite struct ParallelMapTests {
    /// In order, every index once, whatever the chunking; empty for no indices.
    @Test(arguments: [0, 1, 5, 16_384, 100_003])
    func mapsEveryIndexInOrder(_ count: Int) {
        #expect(Parallel.map(count) { $0 &* 31 &+ 7 } == (0..<count).map { $0 &* 31 &+ 7 })
        #expect(Parallel.map(count, chunk: 3) { String($0) } == (0..<count).map { String($0) })
    }
}
