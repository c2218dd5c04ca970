@preconcurrency import Glibc  // `stdout`, a C global the compiler cannot see is only read

/// Standard output for output too large to build as one `String` first (a diff's JSON at a
/// wide distance is tens of megabytes): bytes go straight to the descriptor, in the order of
/// everything `print` wrote before them.
public enum StandardOutput {
    public static func write(_ bytes: ArraySlice<UInt8>) throws(SystemError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(SystemError) in try write(raw) } }.get()
    }

    public static func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        fflush(nil)  // every stdio stream: `print` buffers standard output
        try FileSystem.writeAll(bytes, to: STDOUT_FILENO, path: "standard output")
    }

    /// Writes out what `print` buffered and says whether everything reached the descriptor: a
    /// command whose output went to a full disk or a closed descriptor has not succeeded.
    public static func flush() throws(SystemError) {
        if fflush(stdout) != 0 || ferror(stdout) != 0 { throw SystemError("write", path: "standard output") }
    }
}
