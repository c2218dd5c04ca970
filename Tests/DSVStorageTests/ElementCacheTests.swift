import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// The element cache only saves work: what is written is read back, in order; anything damaged,
/// half-rewritten or kept under another key reads as empty.
@Suite struct ElementCacheTests {
    static let key = ElementKey(derivedFrom: FingerprintKey.random())

    static func entries(_ count: Int, seed: UInt64) -> [ElementCache.Entry] {
        var generator = SplitMix(seed: seed)
        var entries: [ElementCache.Entry] = []
        for n in 0..<count {
            let digest = Fingerprint(high: generator.next(), low: generator.next())
            let offset: UInt16 = n % 3 == 0 ? ElementCache.noValue : UInt16(n % 4000)
            let length: UInt8 = n % 3 == 0 ? 0 : UInt8(n % 200)
            entries.append(ElementCache.Entry(digest: digest, valueOffset: offset, valueLength: length, spaced: n % 5 == 0,
                                              idLast: n % 7 == 0, length: n % 7 == 0 ? 0 : UInt16(n % 4097)))
        }
        return entries
    }

    static func write(_ entries: [ElementCache.Entry], to path: String) {
        let writer = ElementCache.Writer(path: path, key: key)
        entries.forEach(writer.append)
        writer.finish()
    }

    /// Past the writer's 1 MiB buffer, so that it is flushed several times.
    @Test func whatIsWrittenIsReadBackInOrder() {
        let directory = TemporaryDirectory("element-cache")
        let path = directory.file("dsv-elements.cache")
        let entries = Self.entries(150_000, seed: 1)
        Self.write(entries, to: path)
        let cache = ElementCache(path: path, key: Self.key)
        #expect(cache.count == entries.count)
        #expect((0..<cache.count).map { cache[$0] } == entries)
        #expect((0..<cache.count).map { cache.digest($0) } == entries.map(\.digest))
        // Rewritten in place with fewer entries: the file is cut to them.
        Self.write(Array(entries.prefix(10)), to: path)
        #expect((0..<10).map { ElementCache(path: path, key: Self.key)[$0] } == Array(entries.prefix(10)))
        #expect(ElementCache(path: path, key: Self.key).count == 10)
    }

    /// A writer dropped before it finished (a commit that died) leaves a file that reads as empty.
    @Test func anUnfinishedRewriteReadsAsEmpty() {
        let directory = TemporaryDirectory("element-cache-unfinished")
        let path = directory.file("dsv-elements.cache")
        Self.write(Self.entries(60_000, seed: 5), to: path)
        do {
            let writer = ElementCache.Writer(path: path, key: Self.key)
            Self.entries(60_000, seed: 6).forEach(writer.append)
        }
        #expect(ElementCache(path: path, key: Self.key).count == 0)
    }

    @Test func aDamagedMissingOrForeignFileReadsAsEmpty() throws {
        let directory = TemporaryDirectory("element-cache-damage")
        let path = directory.file("dsv-elements.cache")
        #expect(ElementCache(path: path, key: Self.key).count == 0)
        Self.write(Self.entries(500, seed: 4), to: path)
        #expect(ElementCache(path: path, key: Self.key).count == 500)
        #expect(ElementCache(path: path, key: ElementKey(derivedFrom: FingerprintKey.random())).count == 0)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        for offset in [0, 30, good.count / 2, good.count - 1] {
            var damaged = good
            damaged[offset] ^= 0x10
            try damaged.write(to: URL(fileURLWithPath: path))
            #expect(ElementCache(path: path, key: Self.key).count == 0, "byte \(offset)")
        }
        try good.prefix(good.count - 7).write(to: URL(fileURLWithPath: path))
        #expect(ElementCache(path: path, key: Self.key).count == 0)
    }
}
