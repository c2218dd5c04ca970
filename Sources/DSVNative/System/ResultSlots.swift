/// Fixed slots that parallel workers fill, each its own slot. The storage is a raw allocation:
/// an Array's `withUnsafeMutableBufferPointer` swaps the array out while it runs, which is a race
/// when several threads use it at once. Inlinable, so that each use is specialized for its type:
/// a generic access looked the type's metadata up at run time on every read and write.
public final class ResultSlots<T>: @unchecked Sendable {
    @usableFromInline let storage: UnsafeMutableBufferPointer<T?>

    @inlinable public init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    @inlinable deinit {
        storage.deinitialize()
        storage.deallocate()
    }

    /// Moves slot `index`'s value out and leaves the slot empty: no copy, which for a value
    /// holding references means no retain now and no release when the slots go.
    @inlinable public func take(_ index: Int) -> T? {
        let value = (storage.baseAddress! + index).move()
        (storage.baseAddress! + index).initialize(to: nil)
        return value
    }

    @inlinable public subscript(index: Int) -> T? {
        get { storage[index] }
        set { storage[index] = newValue }
    }
}
