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
        edits.walk(range, run: { run in
            piece(UnsafeRawBufferPointer(rebasing: bytes[run]), readable: bytes)
        }, edit: { edit in
            switch edit {
            case .hole(let hole): words(UInt64(hole.rawValue), 0)
            case .replacement(let replacement):
                words(0x100, 0)
                replacement.withUnsafeBytes { piece($0, readable: $0) }
            }
        })
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
