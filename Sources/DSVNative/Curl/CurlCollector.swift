import CCurlShim
import Glibc

/// What curl's callbacks read and write for the transfer in progress on one easy handle: the
/// upload body, the received headers, and the response body — in memory, or streamed to a
/// `DownloadTarget` file (hashed on the way) once a 2xx status is known.
final class CurlCollector {
    var body: [UInt8] = []
    var headers: [(name: String, value: String)] = []
    var upload: [UInt8] = []
    var uploadOffset = 0
    /// The status of the response whose headers are arriving (0 before the status line).
    var status = 0

    var download: DownloadTarget?
    private var fd: Int32 = -1
    private var hasher: Hasher?
    private var written = 0
    /// Why the download file could not be written; the write callback then stops the transfer.
    private(set) var localFailure: SystemError?

    /// Ready for the next transfer (an open download file is closed first).
    func reset() {
        if fd >= 0 { close(fd) }
        fd = -1
        body = []
        headers = []
        upload = []
        uploadOffset = 0
        status = 0
        written = 0
        hasher = nil
        localFailure = nil
        download = nil
    }

    private var streams: Bool { download != nil && (200..<300).contains(status) }

    /// Opens (truncates) the download file; a retried transfer starts it over.
    private func openDownload(_ target: DownloadTarget) -> Bool {
        if fd >= 0 { return true }
        fd = open(target.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 {
            localFailure = SystemError("create", path: target.path)
            return false
        }
        written = 0
        hasher = target.digest.map(Hasher.init)
        return true
    }

    private func receive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard streams, let target = download else {
            body.append(contentsOf: bytes)
            return true
        }
        guard openDownload(target) else { return false }
        do { try FileSystem.writeAll(bytes, to: fd, path: target.path) } catch {
            localFailure = error
            return false
        }
        hasher?.update(bytes)
        written += bytes.count
        return true
    }

    /// Closes a complete download (creating the file for an empty body) and says what it wrote.
    func finishDownload(status: Int) throws(SystemError) -> DownloadResult? {
        guard let target = download, (200..<300).contains(status) else { return nil }
        if let localFailure { throw localFailure }
        guard openDownload(target) else { throw localFailure! }
        let descriptor = fd
        fd = -1
        if close(descriptor) != 0 {
            let error = SystemError("write", path: target.path)
            unlink(target.path)
            throw error
        }
        return DownloadResult(bytes: written, digest: hasher?.finish())
    }

    /// Removes the partial file of a failed transfer.
    func abandonDownload() {
        guard let target = download, fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(target.path)
    }

    static let writeCallback: dsv_curl_data_callback = { pointer, size, count, context in
        let collector = Unmanaged<CurlCollector>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard length > 0, let pointer else { return length }
        // Returning less than `length` makes curl stop the transfer with CURLE_WRITE_ERROR.
        return collector.receive(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
    }

    static let headerCallback: dsv_curl_data_callback = { pointer, size, count, context in
        let collector = Unmanaged<CurlCollector>.fromOpaque(context!).takeUnretainedValue()
        let length = size * count
        guard let pointer else { return length }
        let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new response (after a redirect or 100-continue): "HTTP/1.1 200 OK".
            collector.headers = []
            collector.status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t\r\n")
            collector.headers.append((name: name, value: value))
        }
        return length
    }

    static let readCallback: dsv_curl_data_callback = { pointer, size, count, context in
        let collector = Unmanaged<CurlCollector>.fromOpaque(context!).takeUnretainedValue()
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
}
