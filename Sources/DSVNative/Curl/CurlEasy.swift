import CCurl
import CCurlShim

/// Process-wide curl initialisation (`curl_global_init`), done once before the first handle.
enum CurlLibrary {
    static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()
}

/// One curl easy handle. Reusing a handle for successive requests reuses its connection
/// (HTTP keep-alive), which is most of the cost of small S3 requests.
public final class CurlEasy: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// Received body and headers of the transfer in progress.
    final class Collector {
        var body: [UInt8] = []
        var headers: [(name: String, value: String)] = []
        var upload: [UInt8] = []
        var uploadOffset = 0
    }
    let collector = Collector()

    public init() throws(CurlError) {
        _ = CurlLibrary.initialised
        guard let handle = curl_easy_init() else { throw CurlError(CURLE_FAILED_INIT) }
        self.handle = handle
    }

    deinit {
        curl_easy_cleanup(handle)
        if let headerList { curl_slist_free_all(headerList) }
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
        let code = curl_easy_perform(handle)
        if code != CURLE_OK { throw CurlError(code, detail: "\(request.method) \(request.url)") }
        return takeResponse()
    }

    /// The response of the transfer that just finished; the handle is ready for the next one.
    func takeResponse() -> HTTPResponse {
        var status = 0
        _ = dsv_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let response = HTTPResponse(status: status, headers: collector.headers, body: collector.body)
        collector.body = []
        collector.headers = []
        collector.upload = []
        return response
    }

    func prepare(_ request: HTTPRequest, timeouts: Timeouts) throws(CurlError) {
        curl_easy_reset(handle)
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
            try check(dsv_curl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readCallback))
            try check(dsv_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(collector).toOpaque()))
        default:
            try set(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        // An empty "Expect:" stops curl from waiting for 100-continue on uploads.
        for header in request.headers + [(name: "Expect", value: "")] {
            headerList = curl_slist_append(headerList, header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)")
        }
        try check(dsv_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList))
        let context = Unmanaged.passUnretained(collector).toOpaque()
        try check(dsv_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, writeCallback))
        try check(dsv_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        try check(dsv_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, headerCallback))
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

private let writeCallback: dsv_curl_data_callback = { pointer, size, count, context in
    let collector = Unmanaged<CurlEasy.Collector>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    if length > 0, let pointer {
        collector.body.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: length))
    }
    return length
}

private let headerCallback: dsv_curl_data_callback = { pointer, size, count, context in
    let collector = Unmanaged<CurlEasy.Collector>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let pointer else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        collector.headers = []  // a new response (after a redirect or 100-continue)
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
        collector.headers.append((name: name, value: value))
    }
    return length
}

private let readCallback: dsv_curl_data_callback = { pointer, size, count, context in
    let collector = Unmanaged<CurlEasy.Collector>.fromOpaque(context!).takeUnretainedValue()
    let length = min(size * count, collector.upload.count - collector.uploadOffset)
    if length > 0, let pointer {
        collector.upload.withUnsafeBytes { bytes in
            UnsafeMutableRawPointer(pointer).copyMemory(from: bytes.baseAddress! + collector.uploadOffset,
                                                        byteCount: length)
        }
        collector.uploadOffset += length
    }
    return length
}
