import COpenSSL

/// Base64 (RFC 4648, with padding), for HTTP Basic credentials.
/// The corresponding C function is `EVP_EncodeBlock`.
public enum Base64 {
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4 + 1)
        let length = bytes.withUnsafeBufferPointer { input in
            EVP_EncodeBlock(&out, input.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(input.count))
        }
        return String(decoding: out.prefix(Int(length)), as: UTF8.self)
    }
}
