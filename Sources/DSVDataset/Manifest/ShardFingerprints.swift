import DSVNative

/// Fingerprints of a version's shards, from the exports' bytes in place (see `Fingerprint`):
/// what lets a commit recognise an unchanged shard without encoding, hashing or compressing it.
///
/// Two levels, so that the exports are read in their own order: every image's record is
/// fingerprinted in the version's order — sequential reads of the export, on all cores — and a
/// shard's fingerprint is a polynomial hash (at a point of its own) of the encoding's version
/// and its records' fingerprints in key order.
/// (Reading records shard by shard instead jumps across the whole export for every record,
/// and costs twice as much in cache and TLB misses.)
enum ShardFingerprints {
    /// Bump whenever what a `ByteWriter` makes of a record's `RecordSink` calls changes (a format
    /// change), or how a `Fingerprinter` lays them out, so that shard caches filled by an older
    /// dsv stop matching. (2: templates as one stream; 3: known annotation tails as their digests;
    /// 4: such a template's first pair says where its `id` is rather than its length, which
    /// an object read with its whitespace does not have at hand; 5: fingerprints closed by
    /// polynomial hashes rather than SHA-256.)
    static let encodingVersion: UInt64 = 5
    /// Images per task of the record pass.
    static let chunk = 2048

    /// The fingerprint of each shard in `numbers`, in that order.
    static func compute(_ numbers: [Int], records: ShardRecords, key: FingerprintKey) -> [Fingerprint] {
        let trace = Trace()
        let count = records.imageCount
        let perRecord = ResultSlots<Fingerprint>(count: count)
        Parallel.forEachChunk(count, chunk: chunk, makeState: { (Fingerprinter(key: key), RecordSource.Cursor()) }) { state, positions in
            for position in positions {
                records.write(image: position, with: &state.1, to: &state.0)
                perRecord[position] = state.0.finish()
            }
        }
        trace.mark("fingerprint every record")
        let perShard = ResultSlots<Fingerprint>(count: numbers.count)
        Parallel.forEach(numbers.count, makeState: { PolynomialHash(point: key.combiningPoint) }) { hash, slot in
            let shard = numbers[slot]
            hash.add(encodingVersion)
            for member in records.starts[shard]..<records.starts[shard + 1] {
                let fingerprint = perRecord[Int(records.members[Int(member)])]!
                hash.add(fingerprint.high)
                hash.add(fingerprint.low)
            }
            // Last, what tells the sequence's length (`PolynomialHash`).
            hash.add(UInt64(records.starts[shard + 1] - records.starts[shard]))
            perShard[slot] = hash.finish()
        }
        trace.mark("fingerprint every shard")
        return (0..<numbers.count).map { perShard[$0]! }
    }
}
