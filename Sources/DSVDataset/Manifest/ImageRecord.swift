import DSVNative

/// One image of a version as a shard stores it: its key, the image object, its annotations in
/// export order, and its S3 pin. Ids that CVAT renumbers on every export (`id`, and an
/// annotation's `image_id`) are lifted out of the objects into the version's order stream, so a
/// re-export that only renumbers leaves every record — and so every shard — unchanged.
public struct ImageRecord: Sendable, Equatable {
    /// The image key: its `file_name`.
    public var key: String
    public var image: ObjectTemplate
    public var annotations: [ObjectTemplate]
    public var pin: ObjectPin?
    /// The subset (split) the image is in.
    public var subset: String

    public init(key: String, image: ObjectTemplate, annotations: [ObjectTemplate], pin: ObjectPin?,
                subset: String = Subset.defaultName) {
        self.key = key
        self.image = image
        self.annotations = annotations
        self.pin = pin
        self.subset = subset
    }
}

/// A compact JSON object with some values cut out (the lifted ids). Filling them back in gives
/// the object's exact original text. An object has at most two holes — its `id` and, for an
/// annotation, its `image_id` — kept inline: a checkout decodes about a million of these.
public struct ObjectTemplate: Sendable, Hashable {
    public enum Hole: UInt8, Sendable {
        /// The object's own `id`.
        case id = 1
        /// An annotation's `image_id`, equal to its image's id.
        case imageID = 2
    }

    /// A slice of the decompressed shard: records share their shard's buffer instead of each
    /// allocating its own.
    public var bytes: ArraySlice<UInt8>
    /// Offsets (relative to the slice's start) of the holes, -1 where there is none.
    public var idOffset: Int32 = -1
    public var imageIDOffset: Int32 = -1

    public init(bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    public var hasLiftedID: Bool { idOffset >= 0 }

    /// The same bytes and holes, by one `memcmp` rather than a slice's element-by-element
    /// comparison: records and annotation lists are compared by it in every diff and status.
    @inline(__always)
    public static func == (a: ObjectTemplate, b: ObjectTemplate) -> Bool {
        guard a.idOffset == b.idOffset, a.imageIDOffset == b.imageIDOffset else { return false }
        return a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in ByteSearch.equal(x, y) } }
    }

    /// The bytes hashed as one run, not byte by byte as a slice's elements would be.
    public func hash(into hasher: inout Swift.Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(idOffset)
        hasher.combine(imageIDOffset)
    }

    /// The same object in bytes of its own: a slice keeps the whole stretch of its record alive
    /// (every annotation of the image), which a diff that keeps only what changed should not.
    public var compacted: ObjectTemplate {
        var copy = ObjectTemplate(bytes: ArraySlice(bytes.withUnsafeBufferPointer { Array($0) }))
        (copy.idOffset, copy.imageIDOffset) = (idOffset, imageIDOffset)
        return copy
    }

    /// The object's text with the holes filled.
    public func filled(id: Int64?, imageID: Int64?) -> [UInt8] {
        withFilled(id: id, imageID: imageID) { Array($0) }
    }

    /// `body` given the object's text with the holes filled, in memory that lasts as long as
    /// the call (on the stack when small): a text read once need not be an array.
    public func withFilled<R>(id: Int64?, imageID: Int64?, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let reference = TemplateRef(start: 0, length: Int32(bytes.count), idOffset: idOffset, imageIDOffset: imageIDOffset)
        let length = CheckoutDocument.length(reference, id: id, imageID: imageID)
        return try withUnsafeTemporaryAllocation(byteCount: max(length, 1), alignment: 1) { buffer in
            var offset = 0
            bytes.withUnsafeBufferPointer { source in
                let window = OutputWindow(range: 0..<length, buffer: buffer.baseAddress!)
                reference.fill(source, id: id, imageID: imageID, at: window, offset: &offset)
            }
            return try body(UnsafeRawBufferPointer(rebasing: buffer[0..<offset]))
        }
    }
}

/// What pins an image's bytes in S3 at commit time.
public struct ObjectPin: Sendable, Equatable, Hashable {
    public var etag: String
    public var size: Int64
    public var versionID: String?
    public var lastModified: String

    public init(etag: String, size: Int64, versionID: String?, lastModified: String) {
        self.etag = etag
        self.size = size
        self.versionID = versionID
        self.lastModified = lastModified
    }
}
