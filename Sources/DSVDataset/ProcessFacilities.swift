/// What a front end drives of the process beneath the operations — its environment and exit,
/// standard output, files replaced whole, tracing, the heap and the worker threads — and the
/// byte and file helpers its output needs: re-exported, so that the command line depends on
/// this layer (and on the storage layer's types), never on the system layer under both.
@_exported import class DSVNative.AtomicFileWriter
@_exported import enum DSVNative.ByteSearch
@_exported import enum DSVNative.FileSystem
@_exported import enum DSVNative.HeapPolicy
@_exported import enum DSVNative.ProcessEnvironment
@_exported import enum DSVNative.StandardOutput
@_exported import class DSVNative.Trace
@_exported import enum DSVNative.WorkerThreads
