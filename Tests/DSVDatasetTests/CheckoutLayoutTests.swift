@testable import DSVDataset
import Dispatch
import DSVNative
import DSVStorage
import DSVTestSupport
import Synchronization
import Testing

@Suite struct CheckoutLayoutTests {
    /// An order stream that disagrees with the shards — runs past a record's annotations, an
    /// image out of range, an ordinal past the records, lifted ids missing — is a corrupt version, reported as one: never a
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
        var ordinalPastTheRecords = order
        ordinalPastTheRecords.ordinals[0] = Int32(shards.location.count)
        var imageIDsMissing = order
        try #require(!order.imageIDs.isEmpty)
        imageIDsMissing.imageIDs.removeLast()
        for bad in [pastTheRecord, imageOutOfRange, idsMissing, ordinalPastTheRecords, imageIDsMissing] {
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

    /// `forEach` visits every index once, each worker its own in ascending order, and a worker
    /// held up does not hold up the items it has not reached: here the first item waits until
    /// every other one is done, which only another worker taking all of them allows (dealt out
    /// in advance, half of them waited behind it until the timeout).
    @Test(.enabled(if: SystemInfo.processorCount > 1))
    func forEachHandsOutIndicesAsWorkersAreFree() {
        let count = 1_000
        let visits = ResultSlots<Int>(count: count)
        let othersDone = DispatchSemaphore(value: 0)
        let remaining = Atomic<Int>(count - 1)
        let outOfOrder = Atomic<Bool>(false), waited = Atomic<Bool>(false)
        Parallel.forEach(count, makeState: { -1 }) { last, index in
            if index <= last { outOfOrder.store(true, ordering: .relaxed) }
            last = index
            visits[index] = (visits[index] ?? 0) + 1
            if index == 0 {
                waited.store(othersDone.wait(timeout: .now() + 30) == .success, ordering: .relaxed)
            } else if remaining.subtract(1, ordering: .relaxed).newValue == 0 {
                othersDone.signal()
            }
        }
        let (othersFinished, ascending) = (waited.load(ordering: .relaxed), !outOfOrder.load(ordering: .relaxed))
        #expect(othersFinished)
        #expect(ascending)
        #expect((0..<count).allSatisfy { visits[$0] == 1 })
    }
}
