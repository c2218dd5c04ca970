import DSVNative
import DSVTestSupport
import Foundation
import Testing

/// Raw deflate as zip entries hold it, made by Python's zlib, decoded in slices of any size.
@Suite struct InflaterTests {
    static let text = Array((0..<3000).map { #"{"id":\#($0),"bbox":[\#($0).5,2,3,4]},"# }.joined().utf8)

    static func deflated(_ data: [UInt8]) throws -> [UInt8] {
        let dir = TemporaryDirectory("dsv-inflate")
        let source = dir.write("in", Data(data)), out = dir.file("out")
        let result = try runProcess("python3", ["-c", "import sys, zlib; c = zlib.compressobj(6, zlib.DEFLATED, -15); "
                                                + "open(sys.argv[2], 'wb').write(c.compress(open(sys.argv[1], 'rb').read()) + c.flush())",
                                                source, out])
        #expect(result.status == 0, "\(result.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: out)))
    }

    static func crc(_ data: [UInt8]) -> UInt32 {
        var crc = CRC32()
        data.withUnsafeBytes { crc.update($0) }
        return crc.value
    }

    static func inflate(_ input: [UInt8], size: Int, crc: UInt32, slice: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        try input.withUnsafeBytes { source in
            try output.withUnsafeMutableBytes { target in
                try Inflater.inflate(source, into: target, crc: crc, slice: slice)
            }
        }
        return output
    }

    @Test(arguments: [1, 7, 4096, 1 << 30])
    func decodesInSlices(slice: Int) throws {
        let compressed = try Self.deflated(Self.text)
        #expect(try Self.inflate(compressed, size: Self.text.count, crc: Self.crc(Self.text), slice: slice) == Self.text)
    }

    @Test(arguments: [1, 7, 1 << 30])
    func refusesWhatDoesNotMatch(slice: Int) throws {
        let compressed = try Self.deflated(Self.text)
        let crc = Self.crc(Self.text)
        #expect(throws: Inflater.Failure.corrupt("the compressed data ends early")) {
            try Self.inflate(Array(compressed.prefix(compressed.count / 2)), size: Self.text.count, crc: crc, slice: slice)
        }
        #expect(throws: Inflater.Failure.mismatch("the entry is longer than the archive declares")) {
            try Self.inflate(compressed, size: Self.text.count - 1, crc: crc, slice: slice)
        }
        #expect(throws: Inflater.Failure.mismatch("the entry holds \(Self.text.count) bytes, the archive declares \(Self.text.count + 1)")) {
            try Self.inflate(compressed, size: Self.text.count + 1, crc: crc, slice: slice)
        }
        #expect(throws: Inflater.Failure.mismatch("CRC-32 mismatch: the entry's data is damaged")) {
            try Self.inflate(compressed, size: Self.text.count, crc: crc ^ 1, slice: slice)
        }
    }
}
