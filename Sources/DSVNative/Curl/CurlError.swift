import CCurl
import CCurlShim

/// A transfer that did not complete at the HTTP level: curl's code and its message.
/// (An HTTP error status is not a `CurlError`; it is a response the caller interprets.)
public struct CurlError: Error, CustomStringConvertible, Sendable {
    public let code: UInt32
    public let message: String
    /// curl's own words for the failure ("Couldn't connect to server"), without the request that
    /// `message` names after them: for a caller whose message names the request already.
    public let reason: String
    /// Set when the transfer stopped because its download file could not be written (no space
    /// left, a read-only folder): a local failure, not the server's.
    public let localFailure: SystemError?

    init(_ code: CURLcode, detail: String = "", localFailure: SystemError? = nil) {
        self.code = code.rawValue
        let text = dsv_curl_easy_strerror(code).map { String(cString: $0) } ?? "curl error \(code.rawValue)"
        message = localFailure?.description ?? (detail.isEmpty ? text : "\(text): \(detail)")
        reason = localFailure?.description ?? text
        self.localFailure = localFailure
    }

    /// libcurl could not be loaded (it is loaded on first use): why, from the loader.
    init(unavailable reason: String) {
        code = CURLE_FAILED_INIT.rawValue
        message = "libcurl \(reason)"
        self.reason = message
        localFailure = nil
    }

    /// Timeouts, refused or reset connections and the like: worth retrying.
    public var isTransient: Bool {
        if localFailure != nil { return false }
        return switch CURLcode(code) {
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
