/// Fixed slots that parallel workers fill, each its own slot. The storage is a raw allocation:
/// an Array's `withUnsafeMutableBufferPointer` swaps the array out while it runs, which is a race
/// when several threads use it at once.
public final class ResultSlots<T>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<T?>

    public init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    public subscript(index: Int) -> T? {
        get { storage[index] }
        set { storage[index] = newValue }
    }
}
