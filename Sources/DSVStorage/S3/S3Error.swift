import DSVNative

/// What can go wrong talking to S3. Messages name the request (method, bucket, key) and S3's
/// own error code, never a credential.
public enum S3Error: Error, Sendable {
    /// S3 answered with an error status: its code (`NoSuchKey`, `SignatureDoesNotMatch`, …).
    case service(request: String, status: Int, code: String, message: String)
    /// The request did not complete (connection refused, timeout, reset), after retries.
    case unavailable(request: String, reason: String)
    /// A downloaded object could not be written to a local file (no space left, a read-only
    /// folder): the request named, the file's error.
    case local(request: String, SystemError)
    /// No usable configuration: missing credentials, a malformed URL, an unknown profile.
    case configuration(String)

    /// Authentication and authorization failures: the credentials are wrong or lack access.
    public var isAccessDenied: Bool {
        if case .service(_, let status, _, _) = self { return status == 403 }
        return false
    }
}

extension S3Error: CustomStringConvertible {
    public var description: String {
        switch self {
        case .service(let request, let status, let code, let message):
            "\(request): S3 answered \(status) \(code)\(message.isEmpty ? "" : ": \(message)")"
        case .unavailable(let request, let reason): "\(request): S3 unavailable: \(reason)"
        case .local(let request, let error): "\(request): \(error)"
        case .configuration(let reason): "S3 configuration: \(reason)"
        }
    }
}

/// Reads the `<Code>` and `<Message>` of an S3 XML error body.
enum S3ErrorBody {
    static func parse(_ body: [UInt8]) -> (code: String, message: String) {
        let text = String(decoding: body, as: UTF8.self)
        return (XMLText.first("Code", in: text) ?? "", XMLText.first("Message", in: text) ?? "")
    }
}

/// Just enough XML for S3's flat responses: the text of `<name>…</name>` elements, unescaped.
enum XMLText {
    static func first(_ name: String, in text: String) -> String? {
        all(name, in: Substring(text)).first
    }

    static func all(_ name: String, in text: Substring) -> [String] {
        elements(name, in: text).map { unescape(String($0)) }
    }

    /// The raw inner text of each `<name>…</name>`, in order.
    static func elements(_ name: String, in text: Substring) -> [Substring] {
        let open = "<\(name)>", close = "</\(name)>"
        var results: [Substring] = []
        var rest = text[...]
        while let start = rest.firstRange(of: open) {
            guard let end = rest[start.upperBound...].firstRange(of: close) else { break }
            results.append(rest[start.upperBound..<end.lowerBound])
            rest = rest[end.upperBound...]
        }
        return results
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacing("&quot;", with: "\"").replacing("&apos;", with: "'")
            .replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&#34;", with: "\"")
            .replacing("&amp;", with: "&")
    }
}
