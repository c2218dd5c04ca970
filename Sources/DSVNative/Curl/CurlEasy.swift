import CCurl
import CCurlShim

/// libcurl is loaded and initialised (`curl_global_init`) before the first handle, not at
/// process start (see CCurlShim): most commands never use it.
enum CurlLibrary {
    static func load() throws(CurlError) {
        if let failure = dsv_curl_load() { throw CurlError(unavailable: String(cString: failure)) }
    }
}

/// One curl easy handle. Reusing a handle for successive requests reuses its connection
/// (HTTP keep-alive), which is most of the cost of small S3 requests.
public final class CurlEasy: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    let collector = CurlCollector()

    public init() throws(CurlError) {
        try CurlLibrary.load()
        guard let handle = dsv_curl_easy_init() else { throw CurlError(CURLE_FAILED_INIT) }
        self.handle = handle
    }

    deinit {
        dsv_curl_easy_cleanup(handle)
        if let headerList { dsv_curl_slist_free_all(headerList) }
    }

    /// Timeouts: `connect` for the TCP/TLS handshake; a transfer slower than `lowSpeedBytes`
    /// per second for `lowSpeedSeconds` is abandoned as stalled.
    public struct Timeouts: Sendable {
        public var connectSeconds: Int = 10
        public var lowSpeedBytes: Int = 1
        public var lowSpeedSeconds: Int = 30
        public init() {}
    }

    /// Performs `request` and returns the whole response. Throws only for transport failures;
    /// an HTTP error status is returned for the caller to read.
    public func perform(_ request: HTTPRequest, timeouts: Timeouts = Timeouts()) throws(CurlError) -> HTTPResponse {
        try prepare(request, timeouts: timeouts)
        let code = dsv_curl_easy_perform(handle)
        if code != CURLE_OK { throw takeFailure(code, detail: "\(request.method) \(request.url)") }
        return try takeResponse().get()
    }

    /// The response of the transfer that just finished; the handle is ready for the next one.
    /// A download whose file could not be finished is a failure like a transport error.
    func takeResponse() -> Result<HTTPResponse, CurlError> {
        var status = 0
        _ = dsv_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        defer { collector.reset() }
        let downloaded: DownloadResult?
        do { downloaded = try collector.finishDownload(status: status) } catch {
            return .failure(CurlError(CURLE_WRITE_ERROR, localFailure: error))
        }
        return .success(HTTPResponse(status: status, headers: collector.headers, body: collector.body, downloaded: downloaded))
    }

    /// The error of a transfer that failed; a partial download is removed.
    func takeFailure(_ code: CURLcode, detail: String) -> CurlError {
        let local = collector.localFailure
        collector.abandonDownload()
        collector.reset()
        return CurlError(code, detail: detail, localFailure: local)
    }

    func prepare(_ request: HTTPRequest, timeouts: Timeouts) throws(CurlError) {
        dsv_curl_easy_reset(handle)
        collector.reset()
        collector.download = request.download
        try set(CURLOPT_URL, request.url)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_CONNECTTIMEOUT, timeouts.connectSeconds)
        try set(CURLOPT_LOW_SPEED_LIMIT, timeouts.lowSpeedBytes)
        try set(CURLOPT_LOW_SPEED_TIME, timeouts.lowSpeedSeconds)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        switch request.method {
        case "GET": try set(CURLOPT_HTTPGET, 1)
        case "HEAD": try set(CURLOPT_NOBODY, 1)
        case "PUT", "POST":
            try set(CURLOPT_UPLOAD, request.method == "PUT" ? 1 : 0)
            if request.method == "POST" { try set(CURLOPT_POST, 1) }
            collector.upload = request.body
            collector.uploadOffset = 0
            try check(dsv_curl_setopt_off(handle, request.method == "PUT" ? CURLOPT_INFILESIZE_LARGE
                                                                          : CURLOPT_POSTFIELDSIZE_LARGE,
                                          curl_off_t(request.body.count)))
            try check(dsv_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION, CurlCollector.readCallback))
            try check(dsv_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(collector).toOpaque()))
        default:
            try set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let headerList { dsv_curl_slist_free_all(headerList) }
        headerList = nil
        // An empty "Expect:" stops curl from waiting for 100-continue on uploads.
        for header in request.headers + [(name: "Expect", value: "")] {
            headerList = dsv_curl_slist_append(headerList, header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)")
        }
        try check(dsv_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        let context = Unmanaged.passUnretained(collector).toOpaque()
        try check(dsv_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, CurlCollector.writeCallback))
        try check(dsv_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        try check(dsv_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, CurlCollector.headerCallback))
        try check(dsv_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
    }

    private func set(_ option: CURLoption, _ value: Int) throws(CurlError) {
        try check(dsv_curl_setopt_long(handle, option, value))
    }

    private func set(_ option: CURLoption, _ value: String) throws(CurlError) {
        // CURLOPT_URL and friends copy the string (since curl 7.17), so a temporary is fine.
        try check(dsv_curl_setopt_string(handle, option, value))
    }

    private func check(_ code: CURLcode) throws(CurlError) {
        if code != CURLE_OK { throw CurlError(code) }
    }
}
