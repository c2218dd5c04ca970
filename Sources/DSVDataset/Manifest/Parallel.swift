import Dispatch
import Synchronization
import DSVNative

/// Data-parallel loops with per-worker state (a zstd context, a hasher), one worker per core.
public enum Parallel {
    /// Calls `body` for every index in `0..<count`, spread over the cores; each worker makes its
    /// state once with `makeState` and takes the next index not yet taken, so each sees its
    /// indices in ascending order. Taken as they come rather than dealt out in advance: when
    /// something else has a core for a while (the kernel writing back the pack being written,
    /// another process), the other workers take up its share instead of waiting for it at the end.
    static func forEach<State>(_ count: Int, makeState: @Sendable () -> State,
                               _ body: @Sendable (inout State, Int) -> Void) {
        let workers = min(SystemInfo.processorCount, max(1, count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            var state = makeState()
            while true {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < count else { break }
                body(&state, index)
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
    struct SharedBuffer<T>: @unchecked Sendable {
        let base: UnsafeMutablePointer<T>?
    }
}
