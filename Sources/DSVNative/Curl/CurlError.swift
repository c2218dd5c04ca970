import CCurl

/// A transfer that did not complete at the HTTP level: curl's code and its message.
/// (An HTTP error status is not a `CurlError`; it is a response the caller interprets.)
public struct CurlError: Error, CustomStringConvertible, Sendable {
    public let code: UInt32
    public let message: String

    init(_ code: CURLcode, detail: String = "") {
        self.code = code.rawValue
        let text = String(cString: curl_easy_strerror(code))
        message = detail.isEmpty ? text : "\(text): \(detail)"
    }

    /// Timeouts, refused or reset connections and the like: worth retrying.
    public var isTransient: Bool {
        switch CURLcode(code) {
        case CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR,
             CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_COULDNT_RESOLVE_HOST, CURLE_SSL_CONNECT_ERROR,
             CURLE_HTTP2, CURLE_HTTP2_STREAM:
            true
        default:
            false
        }
    }

    public var description: String { message }
}
