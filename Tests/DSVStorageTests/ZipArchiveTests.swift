import DSVNative
import DSVStorage
import DSVTestSupport
import Foundation
import Testing

/// The zip reader against archives Python's `zipfile` writes, a hand-built ZIP64 archive that
/// Python accepts, and damaged ones.
@Suite struct ZipArchiveTests {
    let dir = TemporaryDirectory("dsv-zip")

    func contents(_ archive: ZipArchive, _ name: String) throws -> [UInt8] {
        let entry = try #require(archive.entries.first { $0.name == name })
        let mapping = try archive.contents(of: entry, name: name)
        return withExtendedLifetime(mapping) { Array(mapping.bytes) }
    }

    @Test func readsStoredDeflatedEmptyAndDirectoryEntries() throws {
        let json = String(repeating: #"{"id":1,"file_name":"caf\u00e9 1.jpg"},"#, count: 2000)
        let source = dir.write("a.json", json)
        let empty = dir.write("empty.json", "")
        let zip = dir.file("export.zip")
        try makeZip(zip, ["annotations=-", "annotations/instances_Train.json=\(source)", "--stored",
                          "annotations/instances_Validation.json=\(source)", "annotations/empty.json=\(empty)",
                          "images/Train/été 1.jpg=\(source)"])
        let archive = try ZipArchive(path: zip)
        #expect(archive.entries.map(\.name) == ["annotations/", "annotations/instances_Train.json",
                                                "annotations/instances_Validation.json", "annotations/empty.json",
                                                "images/Train/été 1.jpg"])
        #expect(archive.entries[0].isDirectory)
        #expect(archive.entries[1].method == 8 && archive.entries[1].compressedSize < archive.entries[1].size)
        #expect(archive.entries[2].method == 0)
        #expect(try contents(archive, "annotations/instances_Train.json") == Array(json.utf8))
        #expect(try contents(archive, "annotations/instances_Validation.json") == Array(json.utf8))
        #expect(try contents(archive, "annotations/empty.json") == [])
    }

    /// More than 65,535 entries: the count lives in the ZIP64 end record.
    @Test func zip64EndRecordWithManyEntries() throws {
        let source = dir.write("a.json", #"{"images":[]}"#)
        let zip = dir.file("many.zip")
        try makeZip(zip, ["--filler", "65600", "annotations/instances_default.json=\(source)"])
        let archive = try ZipArchive(path: zip)
        #expect(archive.entries.count == 65_601)
        #expect(try contents(archive, "annotations/instances_default.json") == Array(#"{"images":[]}"#.utf8))
    }

    /// Sizes and offset saturated at 0xFFFFFFFF in the central directory and given in the ZIP64
    /// extra field, as writers do for entries over 4 GiB.
    @Test func zip64ExtraFields() throws {
        let data = Array(#"{"images":[{"id":1,"file_name":"a.jpg"}]}"#.utf8)
        let zip = dir.file("z64.zip")
        _ = FileManager.default.createFile(atPath: zip, contents: Data(Self.zip64Archive(name: "annotations/instances_Big.json", data: data)))
        let check = try runProcess("python3", ["-c", "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; "
                                               + "sys.stdout.write(z.read('annotations/instances_Big.json').decode())", zip])
        #expect(check.status == 0, "Python's zipfile must accept the hand-built archive: \(check.stderr)")
        #expect(check.stdout == String(decoding: data, as: UTF8.self))
        let archive = try ZipArchive(path: zip)
        #expect(archive.entries.map(\.name) == ["annotations/instances_Big.json"])
        #expect(archive.entries[0].size == data.count && archive.entries[0].localHeaderOffset == 0)
        #expect(try contents(archive, "annotations/instances_Big.json") == data)
    }

    @Test func damagedArchivesAreRefused() throws {
        let json = String(repeating: #"{"id":1,"file_name":"x.jpg","bbox":[1.5,2,3,4]},"#, count: 500)
        let source = dir.write("a.json", json)
        let deflated = dir.file("d.zip"), stored = dir.file("s.zip"), bzip2 = dir.file("b.zip")
        try makeZip(deflated, ["annotations/instances_Train.json=\(source)"])
        try makeZip(stored, ["--stored", "annotations/instances_Train.json=\(source)"])
        try makeZip(bzip2, ["--bzip2", "annotations/instances_Train.json=\(source)"])
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: deflated)))

        func failure(_ bytes: [UInt8]) -> ZipArchive.Failure? {
            let path = dir.file("bad-\(UUID().uuidString).zip")
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                let archive = try ZipArchive(path: path)
                for entry in archive.entries { _ = try archive.contents(of: entry, name: entry.name) }
                return nil
            } catch { return error }
        }
        // Truncated anywhere: no end record, or entries that run past the end.
        for length in [0, 10, 30, 100, good.count / 2, good.count - 23, good.count - 1] {
            #expect(failure(Array(good.prefix(length))) != nil, "truncated to \(length) bytes")
        }
        // A flipped byte inside the compressed data: invalid deflate data or a CRC-32 mismatch.
        var flipped = good
        flipped[80] ^= 0x55
        #expect(failure(flipped) != nil)
        var storedBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stored)))
        storedBytes[100] ^= 0x01
        guard case .corrupt(_, let reason)? = failure(storedBytes) else { Issue.record("a damaged stored entry must be corrupt"); return }
        #expect(reason.contains("CRC-32"))
        // Declared size larger than the data decodes to.
        var sized = good
        let central = try #require(Self.offset(of: [0x50, 0x4B, 0x01, 0x02], in: sized))
        sized[central + 24] &+= 1
        #expect(failure(sized) != nil)
        // A declared size deflate cannot reach (a zip bomb's claim) is refused before allocating.
        var bomb = good
        for i in 0..<4 { bomb[central + 24 + i] = [0xF0, 0xFF, 0xFF, 0xFE][i] }
        guard case .corrupt(_, let claim)? = failure(bomb) else { Issue.record("an impossible size must be corrupt"); return }
        #expect(claim.contains("declares 4278190064 bytes"))
        // Encrypted (flag bit 0) and another compression method are unsupported, by name.
        var encrypted = good
        encrypted[central + 8] |= 1
        guard case .unsupported(_, let why)? = failure(encrypted) else { Issue.record("encryption must be unsupported"); return }
        #expect(why.contains("encrypted"))
        guard case .unsupported(_, let method)? = failure([UInt8](try Data(contentsOf: URL(fileURLWithPath: bzip2)))) else {
            Issue.record("bzip2 must be unsupported"); return
        }
        #expect(method.contains("compression method 12"))
        // Not a zip at all.
        #expect(failure(Array(json.utf8)) != nil)
        #expect(!ZipArchive.looksLikeZip(UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    static func offset(of pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { Array(bytes[$0..<$0 + pattern.count]) == pattern }
    }

    /// One stored entry whose central directory record saturates sizes and offset and carries
    /// them in a ZIP64 extra field, with a ZIP64 end record and locator.
    static func zip64Archive(name: String, data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func u32(_ v: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(v >> UInt32(shift) & 0xFF)) } }
        func u64(_ v: Int) { for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(v >> shift & 0xFF)) } }
        var crc = CRC32()
        data.withUnsafeBytes { crc.update($0) }
        let nameBytes = Array(name.utf8)
        // Local header.
        u32(0x0403_4B50); u16(45); u16(0x0800); u16(0); u16(0); u16(0x5B7E); u32(crc.value)
        u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u16(nameBytes.count); u16(20)
        out += nameBytes
        u16(1); u16(16); u64(data.count); u64(data.count)
        out += data
        // Central directory.
        let centralStart = out.count
        u32(0x0201_4B50); u16(0x032D); u16(45); u16(0x0800); u16(0); u16(0); u16(0x5B7E); u32(crc.value)
        u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u16(nameBytes.count); u16(28); u16(0); u16(0); u16(0); u32(0)
        u32(0xFFFF_FFFF)
        out += nameBytes
        u16(1); u16(24); u64(data.count); u64(data.count); u64(0)
        let centralSize = out.count - centralStart
        // ZIP64 end record, locator, end record.
        let zip64End = out.count
        u32(0x0606_4B50); u64(44); u16(45); u16(45); u32(0); u32(0); u64(1); u64(1); u64(centralSize); u64(centralStart)
        u32(0x0706_4B50); u32(0); u64(zip64End); u32(1)
        u32(0x0605_4B50); u16(0); u16(0); u16(0xFFFF); u16(0xFFFF); u32(0xFFFF_FFFF); u32(0xFFFF_FFFF); u16(0)
        return out
    }
}
