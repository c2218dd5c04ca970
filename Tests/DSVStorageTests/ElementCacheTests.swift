import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// The element cache only saves work: what is written is read back, in order; anything damaged
/// or kept under another key reads as empty.
@Suite struct ElementCacheTests {
    static let key = ElementKey(derivedFrom: FingerprintKey.random())

    static func entries(_ count: Int, seed: UInt64) -> [ElementCache.Entry] {
        var generator = SplitMix(seed: seed)
        var entries: [ElementCache.Entry] = []
        for n in 0..<count {
            if n % 5 == 4 {
                entries.append(.unknown)
                continue
            }
            let digest = Fingerprint(high: generator.next(), low: generator.next())
            let offset: UInt16 = n % 3 == 0 ? ElementCache.noValue : UInt16(n % 4000)
            let length: UInt8 = n % 3 == 0 ? 0 : UInt8(n % 200)
            entries.append(ElementCache.Entry(digest: digest, valueOffset: offset, valueLength: length))
        }
        return entries
    }

    @Test func whatIsWrittenIsReadBackInOrderWithoutTheUnknown() {
        let directory = TemporaryDirectory("element-cache")
        let path = directory.file("dsv-elements.cache")
        let batches = [Self.entries(1000, seed: 1), [], Self.entries(333, seed: 2)]
        ElementCache.write(batches, key: Self.key, to: path)
        let cache = ElementCache(path: path, key: Self.key)
        let known = batches.flatMap { $0.filter(\.isKnown) }
        #expect(cache.count == known.count)
        #expect((0..<cache.count).map { cache[$0] } == known)
        #expect((0..<cache.count).map { cache.digest($0) } == known.map(\.digest))
        // Rewritten in place with fewer entries: the file is cut to them.
        ElementCache.write([Self.entries(10, seed: 3)], key: Self.key, to: path)
        #expect(ElementCache(path: path, key: Self.key).count == 8)
    }

    @Test func aDamagedMissingOrForeignFileReadsAsEmpty() throws {
        let directory = TemporaryDirectory("element-cache-damage")
        let path = directory.file("dsv-elements.cache")
        #expect(ElementCache(path: path, key: Self.key).count == 0)
        ElementCache.write([Self.entries(500, seed: 4)], key: Self.key, to: path)
        #expect(ElementCache(path: path, key: Self.key).count == 400)
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
