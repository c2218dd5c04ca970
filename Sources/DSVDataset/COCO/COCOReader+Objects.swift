import DSVJSON
import DSVNative

/// One image or annotation object as `COCOReader` reads it: its members validated one by one,
/// and of them only the places dsv needs kept — an image's `id` and `file_name`, an
/// annotation's `id`, `image_id` and `category_id` — everything else left as bytes.
extension COCOReader {
    /// The members of one object at the scanner, as (key literal range, value range), validated.
    @inline(__always)
    static func forEachMember(_ scanner: inout JSONScanner,
                              _ body: (Range<Int>, Range<Int>) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        scanner.position += 1  // {
        scanner.skipWhitespace()
        if scanner.peek() == UInt8(ascii: "}") { scanner.position += 1; return }
        var member = 0
        while true {
            scanner.skipWhitespace()
            guard scanner.peek() == UInt8(ascii: "\"") else { throw scanner.unexpected(expected: "a string key") }
            let keyStart = scanner.position
            try scanner.skipKey(member: member)
            member += 1
            let keyRange = keyStart..<scanner.position
            try scanner.expect(UInt8(ascii: ":"), "':'")
            let valueRange = try scanner.scanMemberValue()
            try body(keyRange, valueRange)
            scanner.skipWhitespace()
            let c = scanner.peek()
            if c == UInt8(ascii: ",") { scanner.position += 1; continue }
            if c == UInt8(ascii: "}") { scanner.position += 1; return }
            throw scanner.unexpected(expected: "',' or '}'")
        }
    }

    static func scanImage(_ scanner: inout JSONScanner, _ start: Int) throws(JSONSyntaxError) -> ImageEntry {
        var idRange: Range<Int>?
        var fileNameRange: Range<Int>?
        let base = scanner.bytes
        try forEachMember(&scanner) { (key, value) throws(JSONSyntaxError) in
            if keyIs(base, key, "\"id\"") { idRange = value }
            else if keyIs(base, key, "\"file_name\"") { fileNameRange = value }
        }
        let range = start..<scanner.position
        guard let idRange else { throw JSONSyntaxError.rule("an image has no \"id\"", at: start) }
        guard let fileNameRange else {
            throw JSONSyntaxError.rule("an image has no \"file_name\"", at: start)
        }
        guard base[fileNameRange.lowerBound] == UInt8(ascii: "\"") else {
            throw JSONSyntaxError.rule("an image's \"file_name\" must be a string", at: fileNameRange.lowerBound)
        }
        let fileName = JSONString.decode(UnsafeRawBufferPointer(rebasing: base[fileNameRange]))
        return ImageEntry(range: range, idRange: idRange, fileName: fileName, id: CanonicalInteger.value(base, idRange))
    }

    static func scanAnnotation(_ scanner: inout JSONScanner, _ start: Int) throws(JSONSyntaxError) -> AnnotationEntry {
        var idRange: Range<Int>?
        var imageIDRange: Range<Int>?
        var categoryIDRange: Range<Int>?
        let base = scanner.bytes
        try forEachMember(&scanner) { (key, value) throws(JSONSyntaxError) in
            switch key.count {
            case 4 where keyIs(base, key, "\"id\""): idRange = value
            case 10 where keyIs(base, key, "\"image_id\""): imageIDRange = value
            case 13 where keyIs(base, key, "\"category_id\""): categoryIDRange = value
            default: break
            }
        }
        guard let imageIDRange else {
            throw JSONSyntaxError.rule("an annotation has no \"image_id\"", at: start)
        }
        guard scanner.position - start <= AnnotationEntry.maximumLength else {
            throw JSONSyntaxError.rule("an annotation of over 4 GiB", at: start)
        }
        return AnnotationEntry(range: start..<scanner.position, idRange: idRange, imageIDRange: imageIDRange,
                               categoryIDRange: categoryIDRange, id: CanonicalInteger.value(base, idRange),
                               imageID: CanonicalInteger.value(base, imageIDRange),
                               categoryID: CanonicalInteger.value(base, categoryIDRange))
    }

    @inline(__always)
    static func keyIs(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard range.count == count else { return false }
        let text = literal.utf8Start
        for i in 0..<count where bytes[range.lowerBound + i] != text[i] { return false }
        return true
    }

    static func describe(_ c: UInt8) -> String {
        switch c {
        case UInt8(ascii: "{"): "an object"
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "n"): "null"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
        default: "a number"
        }
    }
}
