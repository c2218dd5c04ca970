import DSVTestSupport
import Foundation
import DSVNative
import Testing

@Suite struct CryptoTests {
    /// RFC 4231 §4: HMAC-SHA256 test cases 1–4, 6 and 7 (case 5 tests truncation, which we never use).
    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
         "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        (Array(1...25), [UInt8](repeating: 0xcd, count: 50),
         "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        ([UInt8](repeating: 0xaa, count: 131),
         Array(("This is a test using a larger than block-size key and a larger than block-size data. "
             + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
         "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ] as [([UInt8], [UInt8], String)])
    func hmacSHA256MatchesRFC4231(key: [UInt8], message: [UInt8], expected: String) {
        #expect(hexString(HMAC.sha256(key: key, message: message)) == expected)
    }

    @Test func digestsOfKnownInputs() {
        #expect(hexString(Hasher.digest(.sha256, "abc"))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hexString(Hasher.digest(.sha1, "abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hexString(Hasher.digest(.md5, "")) == "d41d8cd98f00b204e9800998ecf8427e")
    }

    @Test func incrementalHashEqualsOneShot() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let hasher = Hasher(.sha256)
        data.withUnsafeBytes { bytes in
            hasher.update(UnsafeRawBufferPointer(rebasing: bytes[..<12345]))
            hasher.update(UnsafeRawBufferPointer(rebasing: bytes[12345...]))
        }
        #expect(hasher.finish() == Hasher.digest(.sha256, data))
    }
}

@Suite struct BackgroundDigestsTests {
    /// Files of several steps, an empty one and a small one: each digest is the file's SHA-256,
    /// in order, whether the background thread got to it or `finish()` did.
    @Test func digestsEqualOneShotHashes() throws {
        let folder = TemporaryDirectory()
        let sizes = [5 << 20 | 12345, 0, 3, 1 << 20]
        var mappings: [FileMapping] = []
        var expected: [[UInt8]] = []
        for (index, size) in sizes.enumerated() {
            let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ index) }
            let path = folder.write("f\(index)", Data(data))
            mappings.append(try FileMapping(path: path))
            expected.append(Hasher.digest(.sha256, data))
        }
        #expect(BackgroundDigests(mappings).finish() == expected)
        // However far the background thread got, the caller's takeover gives the same digests.
        for pause in [0, 1000, 20_000] {
            let digests = BackgroundDigests(mappings)
            usleep(UInt32(pause))
            #expect(digests.finish() == expected)
        }
        // Not in the background: `finish()` hashes everything itself.
        #expect(BackgroundDigests(mappings, inBackground: false).finish() == expected)
        // Small files in all: no thread, `finish()` hashes them.
        #expect(BackgroundDigests(Array(mappings[1...])).finish() == Array(expected[1...]))
        #expect(BackgroundDigests([]).finish() == [])
    }

    /// Released before finishing (a commit once its shards are built): the bytes hashed by then
    /// are given back at once, the rest as the background thread hashes them (given back by the
    /// caller, or by the thread once asked) or by the takeover, and the digests are still those
    /// of the bytes before. (Anonymous memory reads as zeros once given back, which is how the
    /// test sees it.)
    @Test func releasingBeforeFinishingGivesBackEveryByte() throws {
        let size = 6 << 20 | 333
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 3) }
        let expected = Hasher.digest(.sha256, data)
        for (pause, after) in [(0, 0), (1000, 0), (2000, 0), (5000, 0), (2000, 3000), (50_000, 0)] {
            let mapping = try Self.anonymousCopy(of: data)
            let digests = BackgroundDigests([mapping])
            usleep(UInt32(pause))
            digests.release()
            usleep(UInt32(after))
            #expect(digests.finish() == [expected], "pause \(pause), \(after)")
            #expect(mapping.bytes.allSatisfy { $0 == 0 }, "pause \(pause), \(after): bytes left unreleased")
        }
    }

    /// Hurried at any point (the rest handed to a thread at normal priority), released or not,
    /// the digests are the files' and every byte is given back; hurrying twice, or a run that
    /// started no thread, changes nothing; a hurried run is cancelled like another.
    @Test func hurryingHandsTheRestOver() throws {
        let size = 9 << 20 | 77
        let data = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 7) }
        let expected = Hasher.digest(.sha256, data)
        for (before, after, releasing) in [(0, 0, false), (500, 0, true), (3000, 1000, true), (0, 4000, false), (20_000, 0, true)] {
            let mapping = try Self.anonymousCopy(of: data)
            let digests = BackgroundDigests([mapping])
            usleep(UInt32(before))
            digests.hurry()
            digests.hurry()
            if releasing { digests.release() }
            usleep(UInt32(after))
            #expect(digests.finish() == [expected], "\(before), \(after)")
            if releasing { #expect(mapping.bytes.allSatisfy { $0 == 0 }, "\(before), \(after): bytes left unreleased") }
        }
        let folder = TemporaryDirectory()
        let small = try FileMapping(path: folder.write("small", Data([1, 2, 3])))
        let unthreaded = BackgroundDigests([small])
        unthreaded.hurry()
        #expect(unthreaded.finish() == [Hasher.digest(.sha256, [1, 2, 3])])
        let big = try FileMapping(path: folder.write("big", Data(count: 8 << 20)))
        let cancelled = BackgroundDigests([big])
        cancelled.hurry()
        cancelled.cancel()
        cancelled.hurry()
    }

    /// `data` in sealed anonymous memory, which reads as zeros once given back: how the tests
    /// see which bytes were released.
    static func anonymousCopy(of data: [UInt8]) throws -> FileMapping {
        let mapping = try FileMapping(anonymous: "pattern", count: data.count)
        data.withUnsafeBytes { mapping.writableBytes.copyMemory(from: $0) }
        mapping.seal()
        return mapping
    }

    /// A cancelled run stops; cancelling twice, or after finishing, is harmless.
    @Test func cancelStops() throws {
        let folder = TemporaryDirectory()
        let mapping = try FileMapping(path: folder.write("big", Data(count: 8 << 20)))
        let digests = BackgroundDigests([mapping])
        digests.cancel()
        digests.cancel()
        let finished = BackgroundDigests([mapping])
        #expect(finished.finish() == [Hasher.digest(.sha256, [UInt8](repeating: 0, count: 8 << 20))])
        finished.cancel()
    }
}
