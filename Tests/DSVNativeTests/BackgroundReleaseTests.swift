import DSVNative
import Dispatch
import Synchronization
import Testing

struct BackgroundReleaseTests {
    final class Tracked: Sendable {
        let freed: @Sendable () -> Void
        init(_ freed: @escaping @Sendable () -> Void) { self.freed = freed }
        deinit { freed() }
    }

    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func add() { value.add(1, ordering: .sequentiallyConsistent) }
        var count: Int { value.load(ordering: .sequentiallyConsistent) }
    }

    /// What is dropped is freed, and the work handed over is done: on another thread, or — under
    /// a sanitizer, whose leak check at the exit must not find a structure half freed — before
    /// the call returns.
    @Test func whatIsDroppedIsFreedInPlaceUnderASanitizer() {
        let freed = DispatchSemaphore(value: 0), worked = DispatchSemaphore(value: 0)
        let counter = Counter()
        BackgroundRelease.drop(Tracked { counter.add(); freed.signal() })
        BackgroundRelease.perform { counter.add(); worked.signal() }
        if ProcessEnvironment.isSanitized {
            #expect(counter.count == 2, "done before the calls returned")
        }
        #expect(freed.wait(timeout: .now() + 10) == .success)
        #expect(worked.wait(timeout: .now() + 10) == .success)
        #expect(counter.count == 2)
    }
}
