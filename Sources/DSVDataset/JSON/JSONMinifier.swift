/// Removes the whitespace between tokens of a validated JSON value, leaving every string and
/// number exactly as written. Pretty-printed and compact exports of the same content thus give
/// the same manifest.
public enum JSONMinifier {
    public static func minify(_ value: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var inString = false
        var index = 0
        let count = value.count
        out.reserveCapacity(out.count + count)
        while index < count {
            let c = value[index]
            if inString {
                out.append(c)
                if c == UInt8(ascii: "\\") {
                    out.append(value[index + 1])
                    index += 2
                    continue
                }
                if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
                out.append(c)
            } else if !(c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09) {
                out.append(c)
            }
            index += 1
        }
    }
}
