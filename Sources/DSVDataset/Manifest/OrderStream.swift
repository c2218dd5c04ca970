/// The order of a version's images and annotations as the export had them, and the lifted ids,
/// kept apart from the records so that a change in one place of the export (an inserted image,
/// renumbered ids) rewrites this one small object instead of every shard.
///
/// Layout (format 1): `DSV1O`, image count, annotation count; per image in export order its
/// ordinal in the manifest (shards ascending, keys ascending within); the lifted image ids as
/// zigzag deltas; annotation runs `(image delta, first index within the image's record, length)`;
/// the lifted annotation ids as zigzag deltas.
public struct OrderStream: Sendable, Equatable {
    public static let magic = "DSV1O"

    /// Per image in export order, its ordinal in the manifest.
    public var ordinals: [Int32]
    /// Lifted ids of the images that have one, in export order.
    public var imageIDs: [Int64]
    /// Annotations in export order as runs over the records.
    public var runs: [Run]
    /// Lifted ids of the annotations that have one, in export order.
    public var annotationIDs: [Int64]
    public var annotationCount: Int

    public struct Run: Sendable, Equatable {
        /// Position of the image in export order.
        public var image: Int32
        public var start: Int32
        public var length: Int32
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: ordinals.count * 4 + runs.count * 4 + annotationIDs.count)
        for byte in Self.magic.utf8 { writer.byte(byte) }
        writer.varint(ordinals.count)
        writer.varint(annotationCount)
        for ordinal in ordinals { writer.varint(Int(ordinal)) }
        writer.varint(imageIDs.count)
        var previous: Int64 = 0
        for id in imageIDs { writer.signed(id &- previous); previous = id }
        writer.varint(runs.count)
        var previousImage: Int32 = 0
        for run in runs {
            writer.signed(Int64(run.image - previousImage))
            previousImage = run.image
            writer.varint(Int(run.start))
            writer.varint(Int(run.length))
        }
        writer.varint(annotationIDs.count)
        previous = 0
        for id in annotationIDs { writer.signed(id &- previous); previous = id }
        return writer.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(ShardCodec.Corrupt) -> OrderStream {
        try bytes.withUnsafeBufferPointer { (buffer) throws(ShardCodec.Corrupt) in try decode(buffer) }
    }

    static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(ShardCodec.Corrupt) -> OrderStream {
        var reader = ByteReader(bytes)
        // A count, checked against the bytes left (each entry takes at least `size` of them):
        // the arrays are sized once — grown by appending, the 800k ids of a train2017 version
        // were copied into fresh memory again and again — and a corrupt count cannot ask for more.
        func count(entriesOf size: Int) throws -> Int {
            let count = try reader.int()
            guard count <= (bytes.count - reader.position) / size else { throw ShardCodec.Corrupt() }
            return count
        }
        do {
            try reader.expect(magic)
            let imageCount = try count(entriesOf: 1)
            let annotationCount = try reader.int()
            var ordinals = [Int32]()
            ordinals.reserveCapacity(imageCount)
            for _ in 0..<imageCount { ordinals.append(Int32(try reader.int())) }
            let imageIDCount = try count(entriesOf: 1)
            var imageIDs = [Int64]()
            imageIDs.reserveCapacity(imageIDCount)
            var previous: Int64 = 0
            for _ in 0..<imageIDCount { previous = previous &+ (try reader.signed()); imageIDs.append(previous) }
            let runCount = try count(entriesOf: 3)
            var runs = [Run]()
            runs.reserveCapacity(runCount)
            var image: Int32 = 0
            for _ in 0..<runCount {
                image += Int32(truncatingIfNeeded: try reader.signed())
                runs.append(Run(image: image, start: Int32(try reader.int()), length: Int32(try reader.int())))
            }
            let annotationIDCount = try count(entriesOf: 1)
            var annotationIDs = [Int64]()
            annotationIDs.reserveCapacity(annotationIDCount)
            previous = 0
            for _ in 0..<annotationIDCount { previous = previous &+ (try reader.signed()); annotationIDs.append(previous) }
            guard reader.atEnd else { throw ShardCodec.Corrupt() }
            return OrderStream(ordinals: ordinals, imageIDs: imageIDs, runs: runs, annotationIDs: annotationIDs,
                               annotationCount: annotationCount)
        } catch { throw ShardCodec.Corrupt() }
    }

    /// Runs from annotations listed as (image position, index within the image).
    static func runs(of order: [(image: Int32, within: Int32)]) -> [Run] {
        guard let first = order.first else { return [] }
        var runs: [Run] = []
        var current = Run(image: first.image, start: first.within, length: 0)
        for (image, within) in order {
            if image == current.image && current.start + current.length == within {
                current.length += 1
            } else {
                runs.append(current)
                current = Run(image: image, start: within, length: 1)
            }
        }
        runs.append(current)
        return runs
    }
}
