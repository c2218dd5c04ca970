import Dispatch
import DSVNative

/// Data-parallel loops with per-worker state (a zstd context, a hasher), one worker per core.
public enum Parallel {
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

    /// Calls `body` with consecutive ranges of `0..<count`, `chunk` indices each, spread over the
    /// cores: for passes that should read their input in order.
    static func forEachChunk<State>(_ count: Int, chunk: Int, makeState: @Sendable () -> State,
                                    _ body: @Sendable (inout State, Range<Int>) -> Void) {
        forEach((count + chunk - 1) / chunk, makeState: makeState) { state, index in
            body(&state, index * chunk..<min(count, (index + 1) * chunk))
        }
    }

    /// `transform` of every index in `0..<count`, computed in consecutive chunks on all cores.
    public static func map<T>(_ count: Int, chunk: Int = 16_384, _ transform: @Sendable (Int) -> T) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let output = SharedBuffer(base: buffer.baseAddress)
            forEachChunk(count, chunk: chunk, makeState: { () }) { _, range in
                for index in range { (output.base! + index).initialize(to: transform(index)) }
            }
            initialized = count
        }
    }

    /// An output buffer the workers fill at disjoint indices.
    private struct SharedBuffer<T>: @unchecked Sendable {
        let base: UnsafeMutablePointer<T>?
    }
}
