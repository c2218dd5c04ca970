/// The lower layer's types that this layer's API hands out — a version's object ids, the
/// system errors inside repository errors, a fetch's or push's progress, where a file the user
/// named is written — re-exported, so that a client of the storage layer names them without
/// reaching past it to `DSVNative`.
@_exported import struct DSVNative.GitObjectID
@_exported import struct DSVNative.GitTransferProgress
@_exported import struct DSVNative.SystemError
@_exported import enum DSVNative.OutputDestination
