import Dispatch
import DSVNative

/// Data-parallel loops with per-worker state (a zstd context, a hasher), one worker per core.
enum Parallel {
    /// Calls `body` for every index in `0..<count`, spread over the cores; each worker makes its
    /// state once with `makeState` and handles every `workers`-th index.
    static func forEach<State>(_ count: Int, makeState: @Sendable () -> State,
                               _ body: @Sendable (inout State, Int) -> Void) {
        let workers = min(SystemInfo.processorCount, max(1, count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var state = makeState()
            var index = worker
            while index < count {
                body(&state, index)
                index += workers
            }
        }
    }
}
