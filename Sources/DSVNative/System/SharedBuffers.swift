/// Memory that outlives a parallel loop and is shared by its workers (the callers guarantee that:
/// a mapping kept alive across the loop, writes at disjoint offsets). The wrappers only say so
/// to the compiler.

/// Read-only bytes shared by the workers of a parallel scan (an export's mapping).
public struct SharedBytes: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}

/// An output buffer written by several threads at disjoint offsets (a minified document).
public struct SharedOutput: @unchecked Sendable {
    public let bytes: UnsafeMutableRawBufferPointer
    public init(bytes: UnsafeMutableRawBufferPointer) { self.bytes = bytes }
}

/// One stretch of a larger output (`range`, in the output's offsets) held in a buffer of its
/// own: a renderer writes at the output's offsets, and the stretch is then written out whole.
public struct OutputWindow {
    public let range: Range<Int>
    private let buffer: UnsafeMutableRawPointer

    /// `buffer` holds at least `range.count` bytes.
    public init(range: Range<Int>, buffer: UnsafeMutableRawPointer) {
        self.range = range
        self.buffer = buffer
    }

    /// Where the output's byte at `offset` goes; `offset` lies in `range` (or at its end, for a
    /// write of nothing).
    @inline(__always)
    public func pointer(at offset: Int) -> UnsafeMutableRawPointer {
        assert(offset >= range.lowerBound && offset <= range.upperBound, "outside the output window")
        return buffer + (offset - range.lowerBound)
    }

    @inline(__always)
    public func store(_ byte: UInt8, at offset: Int) {
        pointer(at: offset).storeBytes(of: byte, as: UInt8.self)
    }

    /// The part of `bytes`, placed at `offset` in the output, that falls inside the window.
    public func clipped(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        let lower = max(offset, range.lowerBound), upper = min(offset + bytes.count, range.upperBound)
        guard lower < upper else { return }
        pointer(at: lower).copyMemory(from: bytes.baseAddress! + (lower - offset), byteCount: upper - lower)
    }

    /// The window's bytes, once rendered.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: buffer, count: range.count) }
}
