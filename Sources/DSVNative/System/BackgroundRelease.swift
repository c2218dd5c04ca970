import Dispatch

/// Frees a value on another thread: for large structures (a plan's hundreds of thousands of
/// entries) that a command is done with while it still has work on its way out, so that their
/// pages are given back beside that work instead of before it.
public enum BackgroundRelease {
    /// Takes `value` and lets its last reference go on a global queue. Whatever it shares with
    /// values still in use lives on with them.
    public static func drop<T>(_ value: consuming T) {
        let box = Box(value)
        DispatchQueue.global().async { box.value = nil }
    }

    /// Handed from one thread to the other, read only by the queue's.
    private final class Box<T>: @unchecked Sendable {
        var value: T?
        init(_ value: consuming T) { self.value = value }
    }
}
