import Dispatch

/// Frees a value on another thread: for large structures (a plan's hundreds of thousands of
/// entries) that a command is done with while it still has work on its way out, so that their
/// pages are given back beside that work instead of before it.
///
/// Nothing waits for that thread: the process may exit while it is still freeing. Under a
/// sanitizer (`ProcessEnvironment.isSanitized`) the work is done in place instead, as
/// `LeftForExit` frees in place there: LeakSanitizer looks at the exit for blocks no pointer
/// reaches, and a structure caught half freed — a parent's block given back, its children not
/// yet — showed its children as leaked (a recommit of an unchanged export under `make
/// sanitize`: its categories' JSON values, in 3 runs of 40).
public enum BackgroundRelease {
    /// Takes `value` and lets its last reference go on a global queue. Whatever it shares with
    /// values still in use lives on with them.
    public static func drop<T>(_ value: consuming T) {
        let box = Box(value)
        perform { box.value = nil }
    }

    /// Runs `work` — which gives memory back, and whose closure may hold the last references
    /// to what it frees — on a global queue (in place under a sanitizer, as above).
    public static func perform(_ work: @escaping @Sendable () -> Void) {
        if ProcessEnvironment.isSanitized {
            work()
        } else {
            DispatchQueue.global().async(execute: work)
        }
    }

    /// Handed from one thread to the other, read only by the queue's.
    private final class Box<T>: @unchecked Sendable {
        var value: T?
        init(_ value: consuming T) { self.value = value }
    }
}
