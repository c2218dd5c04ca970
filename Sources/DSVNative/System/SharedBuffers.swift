/// Memory that outlives a parallel loop and is shared by its workers (the callers guarantee that:
/// a mapping kept alive across the loop, writes at disjoint offsets). The wrappers only say so
/// to the compiler.

/// Read-only bytes shared by the workers of a parallel scan (an export's mapping).
public struct SharedBytes: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }
}

/// An output buffer written by several threads at disjoint offsets (a mapped checkout).
public struct SharedOutput: @unchecked Sendable {
    public let bytes: UnsafeMutableRawBufferPointer
    public init(bytes: UnsafeMutableRawBufferPointer) { self.bytes = bytes }
}
