import DSVNative
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
}
