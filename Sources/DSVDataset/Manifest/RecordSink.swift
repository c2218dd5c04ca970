import DSVNative

/// Where `RecordEncoder` sends a shard's records: a `ByteWriter` stores their bytes; a
/// `Fingerprinter` takes the same calls with the same arguments, so a fingerprint covers exactly
/// what the stored bytes are a function of, without writing them. (What a `ByteWriter` makes
/// of the calls is fixed by the format; `ShardFingerprints.encodingVersion` marks it.)
protocol RecordSink {
    mutating func key(_ key: String)
    /// The object at `range` of `bytes`, with its holes cut and its substitution written in.
    /// `tail`: the digest of the annotation's tail, when the reader keyed it
    /// (`KnownAnnotations`); a sink may use it in place of those bytes. `asWritten`: the bytes
    /// are the file's, perhaps with whitespace between tokens; the record is the object
    /// minified, as a compact file holds it (`TemplateEdits.withMinified`).
    mutating func template(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits, tail: Fingerprint?,
                           asWritten: Bool)
    mutating func pinAndSubset(_ pin: ObjectPin?, _ subset: String?)
    mutating func count(_ count: Int)
}

extension ByteWriter: RecordSink {
    mutating func key(_ key: String) { string(key) }

    mutating func template(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits, tail: Fingerprint?,
                           asWritten: Bool) {
        if asWritten {
            edits.withMinified(bytes, range) { RecordEncoder.appendTemplate($0, $1, edits: $2, to: &self) }
        } else {
            RecordEncoder.appendTemplate(bytes, range, edits: edits, to: &self)
        }
    }

    mutating func pinAndSubset(_ pin: ObjectPin?, _ subset: String?) { RecordEncoder.appendPinAndSubset(pin, subset, to: &self) }

    mutating func count(_ count: Int) { varint(count) }
}

/// The fingerprint side reads every byte in place. Each call is laid out so that different
/// arguments give different inputs to the fingerprint: strings as pieces (which carry their
/// length), numbers and kinds as word pairs, and a template as two pairs that say what its
/// stored form records — its length, its edits' kinds and places — followed by its bytes as
/// one stream. (As a piece per run and a pair per edit, an annotation took nine pairs besides
/// its bytes, and the fingerprint pass cost more in those than in its bytes.)
///
/// An annotation whose tail the reader digested, and whose template is `{"id":,"image_id":`
/// and that tail (both ids cut, nothing substituted), is two pairs: whether its `id` comes
/// last with a mark no other template's first pair has, and the digest — which stands for the
/// tail's bytes (equal digests, equal bytes, as `ElementKey` argues), so the bytes are not read
/// a second time. The rest of such a template is fixed (`{"id":,"image_id":` before the tail,
/// or `{"image_id":` before it and `,"id":}` after it), so the pairs stand for the whole
/// template as a compact file holds it, whatever whitespace the file has around the ids.
extension Fingerprinter: RecordSink {
    mutating func key(_ key: String) { piece(key) }

    /// Above any first pair's second word of a template as a stream (kinds and edit count).
    static let digestedTail: UInt64 = 1 << 40

    mutating func template(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits, tail: Fingerprint?,
                           asWritten: Bool) {
        if let tail, edits.substitution == nil, let id = edits.holes.0, id.1 == .id, let imageID = edits.holes.1, imageID.1 == .imageID {
            words(id.0.lowerBound > imageID.0.lowerBound ? 1 : 0, Self.digestedTail)
            words(tail.high, tail.low)
            return
        }
        if asWritten {
            edits.withMinified(bytes, range) { stream(template: $0, $1, edits: $2) }
        } else {
            stream(template: bytes, range, edits: edits)
        }
    }

    /// A template as a stream: two pairs that say what its stored form records, then its bytes.
    private mutating func stream(template bytes: UnsafeRawBufferPointer, _ range: Range<Int>, edits: TemplateEdits) {
        // Up to three edits (two holes, a substitution): a kind byte and a 32-bit place each
        // (objects are under 4 GiB), and the substitution's length.
        var length = 0, kinds: UInt64 = 0, places: (UInt64, UInt64) = (0, 0), index: UInt64 = 0
        edits.walk(range, run: { run in length += run.count }, edit: { edit in
            let place = UInt64(length)
            switch index {
            case 0: places.0 |= place
            case 1: places.0 |= place << 32
            default: places.1 |= place
            }
            switch edit {
            case .hole(let hole): kinds |= UInt64(hole.rawValue) << (8 * index)
            case .replacement(let replacement):
                kinds |= 0xFF << (8 * index)
                places.1 |= UInt64(replacement.count) << 32
                length += replacement.count
            }
            index += 1
        })
        words(UInt64(length), kinds | index << 32)
        words(places.0, places.1)
        edits.walk(range, run: { run in
            stream(UnsafeRawBufferPointer(rebasing: bytes[run]), readable: bytes)
        }, edit: { edit in
            if case .replacement(let replacement) = edit { replacement.withUnsafeBytes { stream($0, readable: $0) } }
        })
        endStream()
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
