import DSVTestSupport
import Foundation
import Testing

/// Whatever bytes an export holds, `dsv commit` ends with exit 0 or 65 — never a signal, a hang
/// or another code — and the repository stays consistent. Mutants of the fixtures here; libFuzzer
/// goes further in `make fuzz`, and what it found is kept in Tests/Fuzz/regressions.
struct HostileInputTests {
    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Byte flips, deletions, duplications and truncations, from a fixed seed.
    static func mutants(of bytes: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var state = seed
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let interesting = Array("{}[]\",:0-.eE\\u9 nultrfa".utf8) + [0, 0xFF, 0xC3, 0x80]
        return (0..<count).map { _ in
            var mutant = bytes
            for _ in 0...(next() % 4) where !mutant.isEmpty {
                let at = next() % mutant.count
                switch next() % 4 {
                case 0: mutant[at] = interesting[next() % interesting.count]
                case 1: mutant.remove(at: at)
                case 2: mutant.insert(contentsOf: mutant[at..<min(mutant.count, at + 1 + next() % 16)], at: at)
                default: mutant.removeLast(next() % max(1, mutant.count - at))
                }
            }
            return mutant
        }
    }

    @Test func mutatedExportsEndInExit0Or65() throws {
        let dir = TemporaryDirectory("dsv-hostile")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let good = Self.fixtures.appendingPathComponent("DSVDatasetTests/Fixtures/good")
        let names = try FileManager.default.contentsOfDirectory(atPath: good.path).sorted()
        let perFile = max(4, (Int(ProcessInfo.processInfo.environment["DSV_STRESS_ROUNDS"] ?? "") ?? 0) * 5 / names.count)
        var inputs: [[UInt8]] = []
        for (index, name) in names.enumerated() {
            let bytes = [UInt8](try Data(contentsOf: good.appendingPathComponent(name)))
            inputs += Self.mutants(of: bytes, count: perFile, seed: UInt64(index + 1))
        }
        let regressions = Self.fixtures.appendingPathComponent("Fuzz/regressions")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: regressions.path)) ?? [] where !name.hasPrefix(".") {
            inputs.append([UInt8](try Data(contentsOf: regressions.appendingPathComponent(name))))
        }
        let refused = try Self.commitEach(inputs, as: "mutant.json", in: dir)
        #expect(refused > 0 && refused < inputs.count, "the mutants are a mix of good and bad input")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }

    /// Damaged CVAT export zips (Python-written, then mutated anywhere: headers, central
    /// directory, compressed data): exit 0 or 65 with one line, never a crash.
    @Test func mutatedZipsEndInExit0Or65() throws {
        let dir = TemporaryDirectory("dsv-hostile-zip")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let good = Self.fixtures.appendingPathComponent("DSVDatasetTests/Fixtures/good")
        let zip = dir.file("export.zip")
        try makeZip(zip, ["annotations/instances_Train.json=\(good.path)/cvat_attributes.json", "--stored",
                          "annotations/instances_Validation.json=\(good.path)/rle_counts.json"])
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: zip)))
        let count = max(40, (Int(ProcessInfo.processInfo.environment["DSV_STRESS_ROUNDS"] ?? "") ?? 0) * 5)
        let refused = try Self.commitEach(Self.mutants(of: bytes, count: count, seed: 99), as: "mutant.zip", in: dir)
        #expect(refused > 0, "damaged zips are refused")
        #expect(try gitFsck(dir.file(".dsv")).status == 0)
    }

    /// Names an export holds — a file name, a category — may hold any character JSON escapes:
    /// an escape sequence that would recolour or clear the reader's terminal, a newline that
    /// would split a line of the review or the one-line error. Each is shown as the JSON string
    /// it was, escaped, and no control character reaches the output.
    @Test func controlCharactersInNamesNeverReachTheTerminal() throws {
        let dir = TemporaryDirectory("dsv-hostile-names")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let key = #"e/\u001b[2J\u001b[31mred\nline\u009b.jpg"#, category = #"car\u001b]0;owned\u0007"#
        for (round, box) in [(1, 10), (2, 12)] {
            dir.write("round\(round).json", #"{"categories":[{"id":1,"name":"\#(category)"}],"#
                      + #""images":[{"id":1,"file_name":"\#(key)"},{"id":2,"file_name":"plain.jpg"}],"#
                      + #""annotations":[{"id":1,"image_id":1,"category_id":1,"bbox":[\#(box),1,50,50]}]}"#)
        }
        #expect(try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path).status == 0)
        let shownKey = #""e/\u001b[2J\u001b[31mred\nline\u009b.jpg""#, shownCategory = #""car\u001b]0;owned\u0007""#
        for command in [["status", "round2.json"], ["show", "HEAD"]] {
            let result = try dsv(command, in: dir.path)
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(!result.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) },
                    "\(command) printed a control character")
            #expect(result.stdout.contains(shownCategory), "\(command):\n\(result.stdout)")
            if command[0] == "status" {
                #expect(result.stdout.contains("M " + shownKey + "\n    ~ " + shownCategory + " [10,1,50,50] → [12,1,50,50]\n"),
                        "\(result.stdout)")
            }
        }
        dir.write("twice.json", #"{"images":[{"id":1,"file_name":"\#(key)"},{"id":2,"file_name":"\#(key)"}]}"#)
        let refused = try dsv(["commit", "twice.json", "-m", "twice"], in: dir.path)
        #expect(refused.status == 65)
        #expect(refused.stderr.split(separator: "\n").count == 1 && !refused.stderr.contains("\u{1B}"), "\(refused.stderr)")
    }

    /// A value's text — an attribute, a caption — may hold DEL and the C1 controls unescaped
    /// (JSON allows them raw, unlike the C0 ones): the review shows them as JSON escapes, in a
    /// short value and in a long one it cuts, and prints no control character.
    @Test func controlCharactersInValuesNeverReachTheTerminal() throws {
        let dir = TemporaryDirectory("dsv-hostile-values")
        #expect(try dsv(["init"], in: dir.path).status == 0)
        let raw = "\u{9B}31m\u{7F}", long = String(repeating: "é long caption ", count: 8)
        func export(_ note: String, _ caption: String) -> String {
            #"{"categories":[{"id":1,"name":"car"}],"images":[{"id":1,"file_name":"a.jpg"}],"annotations":["#
                + #"{"id":1,"image_id":1,"category_id":1,"bbox":[1,1,5,5],"attributes":{"note":"\#(note)"}},"#
                + #"{"id":2,"image_id":1,"caption":"\#(caption)"}]}"#
        }
        dir.write("round1.json", export("plain", "a cat"))
        dir.write("round2.json", export("x\(raw)", raw + long))
        #expect(try dsv(["commit", "round1.json", "-m", "round 1"], in: dir.path).status == 0)
        let status = try dsv(["status", "round2.json"], in: dir.path, environment: ["NO_COLOR": "1"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(!status.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) },
                "a control character reached the output:\n\(status.stdout)")
        #expect(status.stdout.contains(#"attributes.note: "plain" → "x\u009b31m\u007f""#), "\(status.stdout)")
        #expect(status.stdout.contains(#"+ (none) {"caption":"\u009b31m\u007fé long caption"#), "\(status.stdout)")
    }

    /// Commits each input under `name`, expecting exit 0, or 65 with one error line; returns how
    /// many were refused.
    static func commitEach(_ inputs: [[UInt8]], as name: String, in dir: TemporaryDirectory) throws -> Int {
        var refused = 0
        for (index, input) in inputs.enumerated() {
            dir.write(name, Data(input))
            let result = try dsv(["commit", name, "-m", "mutant \(index)"], in: dir.path)
            #expect(result.status == 0 || result.status == 65, "\(name) #\(index): exit \(result.status): \(result.stderr)")
            if result.status == 65 {
                refused += 1
                #expect(result.stderr.hasPrefix("dsv: error: ") && result.stderr.split(separator: "\n").count == 1)
            }
        }
        return refused
    }
}
