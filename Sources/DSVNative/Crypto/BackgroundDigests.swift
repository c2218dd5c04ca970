import Glibc
import Synchronization

/// The SHA-256 of a few mapped files, computed in the background on an idle-class thread
/// (`DetachedThread`), a step of 1 MiB at a time, while the caller does its real work.
/// `hurry()` hands the rest to a thread at normal priority once the result is wanted soon;
/// `finish()` takes over whatever is left at the caller's own priority — so a busy machine, on
/// which an idle-class thread may barely run, only delays the result by one step — and
/// `cancel()` drops it (the input was refused).
///
/// A background thread hashes each step on a copy of the state, taken and put back under a
/// lock held only for the copy: the idle thread is preempted by any other thread, and one
/// preempted while it held the lock through a whole step kept the thread `hurry()` started
/// waiting for it — 8 ms of a 10k-image next round on this project's 2-core machine, the
/// idle thread queued behind the main thread on one core while the other core had nothing to
/// do. A step whose state moved on meanwhile (taken over by the hurried thread or by
/// `finish()`) is dropped. `finish()` and `cancel()` take the lock and work on the state
/// itself; once either has returned, no thread changes it again, and a step still in flight
/// only hashes its own copy, which it then drops. A background thread looks at `handOver`
/// (and the idle one at `hurried`) before each step and leaves once it is set.
public final class BackgroundDigests: @unchecked Sendable {
    private let files: [FileMapping]
    private let lock = Lock()
    private var hasher: Hasher? = Hasher(.sha256)
    private var index = 0
    private var offset = 0
    private var digests: [[UInt8]] = []
    private var stopped = false
    /// Set when `finish()` or `cancel()` wants the work: the background thread leaves.
    private let handOver = Atomic<Bool>(false)
    /// Bytes hashed so far, across the files in order (read without the lock).
    private let hashed = Atomic<Int>(0)
    /// Set by `release()`: each step's bytes are given back once hashed.
    private let releasing = Atomic<Bool>(false)
    /// Set by `hurry()`: the idle thread leaves the rest to one at normal priority.
    private let hurried = Atomic<Bool>(false)
    /// Whether a background thread was started.
    private let inBackground: Bool
    /// Set once every file is hashed: `isReady` reads it without the lock.
    private let done = Atomic<Bool>(false)
    /// Bumped by every step kept: a background step taken at another count is dropped.
    private var generation = 0

    static let step = 1 << 20
    /// Below this in all, no thread is started: `finish()` hashes the files (in a millisecond or
    /// two), which costs less than a thread.
    static let threadThreshold = 4 << 20

    /// Starts hashing `files`, one after the other; with `inBackground` false nothing happens
    /// before `finish()` (a caller that will most likely not ask).
    public init(_ files: [FileMapping], inBackground: Bool = true) {
        self.files = files
        self.inBackground = inBackground && files.reduce(0, { $0 + $1.count }) >= Self.threadThreshold
        guard self.inBackground else { return }
        DetachedThread.start(idle: true) { [self] in
            while !handOver.load(ordering: .sequentiallyConsistent) && !hurried.load(ordering: .sequentiallyConsistent)
                    && backgroundStep() {}
        }
    }

    /// The digests will be wanted before the caller's work leaves a core idle for long: the
    /// rest is hashed at normal priority, sharing the cores with that work, rather than left
    /// to `finish()` on one core while the other has nothing to do. (A commit asks once its
    /// exports are indexed, before they are validated: asked at all, the medians of a
    /// 40k-image next round went 152 → 149 ms, of `json.dump`'s 118k 557 → 549 ms; asked then
    /// rather than once the plan was made, `json.dump`'s 484 → 474 ms.)
    public func hurry() {
        guard inBackground, !handOver.load(ordering: .sequentiallyConsistent),
              !hurried.exchange(true, ordering: .sequentiallyConsistent) else { return }
        DetachedThread.start(idle: false) { [self] in
            while !handOver.load(ordering: .sequentiallyConsistent) && backgroundStep() {}
        }
    }

    /// Whether `finish()` would return at once: every file is hashed, or the files are too small
    /// to have been given a thread (`finish()` then hashes them in a millisecond or two).
    public var isReady: Bool { !inBackground || done.load(ordering: .sequentiallyConsistent) }

    /// The digests, in the files' order. After `release()`, what is left is given back as it is
    /// hashed, by the background thread or by this takeover.
    public func finish() -> [[UInt8]] {
        handOver.store(true, ordering: .sequentiallyConsistent)
        return locked {
            if Trace.enabled { Trace.note("source digests: \(index) of \(files.count) files, \(offset >> 20) MiB in, taken over") }
            while !stopped && advance() {}
            stopped = true
            hasher = nil
            return digests
        }
    }

    /// The caller is done with the files' bytes: those already hashed are given back now, the
    /// rest as they are hashed. A commit says so as soon as its shards are built, so that the
    /// export's pages are not held through writing the pack (its peak memory was there).
    public func release() {
        // In this order, and the background thread in the opposite one (publish, then look),
        // so that every step is given back by at least one of the two.
        releasing.store(true, ordering: .sequentiallyConsistent)
        var remaining = hashed.load(ordering: .sequentiallyConsistent)
        for file in files where remaining > 0 {
            file.release(0..<min(remaining, file.count))
            remaining -= file.count
        }
    }

    /// Stops the work; the digests are no longer wanted.
    public func cancel() {
        handOver.store(true, ordering: .sequentiallyConsistent)
        locked {
            stopped = true
            hasher = nil
        }
    }

    /// Hashes the next step on the state itself, under the lock; false once every file is done.
    private func advance() -> Bool {
        guard index < files.count, let hasher else { return false }
        return keep(hasher, through: hashStep(hasher, file: index, from: offset))
    }

    /// Feeds `hasher` the step of `file` from `start`; returns where the step ends.
    private func hashStep(_ hasher: Hasher, file: Int, from start: Int) -> Int {
        let end = min(files[file].count, start + Self.step)
        hasher.update(UnsafeRawBufferPointer(rebasing: files[file].bytes[start..<end]))
        return end
    }

    /// One step on a background thread: the state copied under the lock, the step hashed
    /// without it, and the result kept only if no one else moved the state on meanwhile.
    /// False once there is nothing left to do.
    private func backgroundStep() -> Bool {
        guard let (working, file, start, taken) = locked({ () -> (Hasher, Int, Int, Int)? in
            guard !stopped, index < files.count, let hasher else { return nil }
            return (hasher.copy(), index, offset, generation)
        }) else { return false }
        let end = hashStep(working, file: file, from: start)
        return locked {
            guard !stopped else { return false }
            guard generation == taken else { return index < files.count }
            return keep(working, through: end)
        }
    }

    /// Under the lock: `state` has hashed the current file up to `end`; it becomes the state,
    /// and the step's pages are given back or evicted again. False once every file is done.
    private func keep(_ state: Hasher, through end: Int) -> Bool {
        hasher = state
        generation += 1
        hashed.add(end - offset, ordering: .sequentiallyConsistent)
        if releasing.load(ordering: .sequentiallyConsistent) {
            files[index].release(offset..<end)
        } else {
            // Pages the reader had already let go, which this step mapped back.
            files[index].evictAgain(within: offset..<end)
        }
        offset = end
        if offset == files[index].count {
            digests.append(state.finish())
            index += 1
            offset = 0
            if index == files.count { done.store(true, ordering: .sequentiallyConsistent) }
        }
        return index < files.count
    }

    private func locked<R>(_ body: () -> R) -> R { lock.withLock(body) }
}
