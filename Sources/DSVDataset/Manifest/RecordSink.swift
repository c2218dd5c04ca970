import DSVNative

/// Where `RecordEncoder` sends a shard's records: a `ByteWriter` stores their bytes; a
/// `Fingerprinter` takes the same calls with the same arguments, so a fingerprint covers exactly
/// what the stored bytes are a function of, without writing them. (What a `ByteWriter` makes
/// of the calls is fixed by the format; `ShardFingerprints.encodingVersion` marks it.)
protocol RecordSink {
    mutating func key(_ key: String)
    /// The object at `range` of `bytes`, with its holes cut and its substitution written in.
    mutating func template(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits)
    mutating func pinAndSubset(_ pin: ObjectPin?, _ subset: String?)
    mutating func count(_ count: Int)
}

extension ByteWriter: RecordSink {
    mutating func key(_ key: String) { string(key) }

    mutating func template(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits) {
        RecordEncoder.appendTemplate(bytes, range, edits: edits, to: &self)
    }

    mutating func pinAndSubset(_ pin: ObjectPin?, _ subset: String?) { RecordEncoder.appendPinAndSubset(pin, subset, to: &self) }

    mutating func count(_ count: Int) { varint(count) }
}

/// The fingerprint side reads every byte in place. Each call is laid out so that different
/// arguments give different inputs to the fingerprint: strings and byte runs as pieces (which
/// carry their length), numbers and kinds as word pairs.
extension Fingerprinter: RecordSink {
    mutating func key(_ key: String) { piece(key) }

    mutating func template(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits) {
        words(UInt64(edits.count), 0)
        var cursor = range.lowerBound
        if edits.substitution == nil {
            // Once per annotation: at most two holes, in place, no allocation.
            var (a, b) = edits.holes
            if let x = a, let y = b, y.0.lowerBound < x.0.lowerBound { (a, b) = (y, x) }
            for hole in [a, b].lazy.compactMap({ $0 }) {
                piece(UnsafeRawBufferPointer(rebasing: bytes[cursor..<hole.0.lowerBound]), readable: bytes)
                words(UInt64(hole.1.rawValue), 0)
                cursor = hole.0.upperBound
            }
        } else {
            var cuts: [(range: Range<Int>, kind: UInt64, replacement: [UInt8])] = [(edits.substitution!.0, 0x100, edits.substitution!.1)]
            if let hole = edits.holes.0 { cuts.append((hole.0, UInt64(hole.1.rawValue), [])) }
            if let hole = edits.holes.1 { cuts.append((hole.0, UInt64(hole.1.rawValue), [])) }
            cuts.sort { $0.range.lowerBound < $1.range.lowerBound }
            for cut in cuts {
                piece(UnsafeRawBufferPointer(rebasing: bytes[cursor..<cut.range.lowerBound]), readable: bytes)
                words(cut.kind, 0)
                cut.replacement.withUnsafeBytes { piece($0, readable: $0) }
                cursor = cut.range.upperBound
            }
        }
        piece(UnsafeRawBufferPointer(rebasing: bytes[cursor..<range.upperBound]), readable: bytes)
    }

    mutating func pinAndSubset(_ pin: ObjectPin?, _ subset: String?) {
        words(pin == nil ? 0 : 1, subset == nil ? 0 : 1)
        if let pin {
            piece(pin.etag)
            words(UInt64(pin.size), 0)
            piece(pin.versionID ?? "")
            piece(pin.lastModified)
        }
        if let subset { piece(subset) }
    }

    mutating func count(_ count: Int) { words(UInt64(count), 0) }
}
