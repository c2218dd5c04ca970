import CCurl
import CCurlShim

/// libcurl's multi interface: many transfers in flight on one thread, connections reused
/// (keep-alive) across them. The caller supplies requests as slots free up and gets each
/// response as it completes.
/// The corresponding C functions are `curl_multi_add_handle`, `curl_multi_perform`,
/// `curl_multi_poll` and `curl_multi_info_read`.
public final class CurlMulti: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private var idle: [CurlEasy] = []

    public init(maxConnectionsPerHost: Int = 0) throws(CurlError) {
        try CurlLibrary.load()
        guard let multi = dsv_curl_multi_init() else { throw CurlError(CURLE_FAILED_INIT) }
        self.multi = multi
        if maxConnectionsPerHost > 0 {
            _ = dsv_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost)
        }
    }

    deinit { _ = dsv_curl_multi_cleanup(multi) }

    /// Runs transfers until `next` has nothing more while none is in flight.
    /// - Parameters:
    ///   - concurrency: transfers in flight at most.
    ///   - next: the next request to start and a tag for it; `.wait(seconds)` when one will be
    ///     ready later (a retry's backoff), `.done` when there are no more.
    ///   - completed: each finished transfer's tag and result (a transport failure is a
    ///     `CurlError`; an HTTP error status is a response).
    public func run(concurrency: Int, timeouts: CurlEasy.Timeouts = CurlEasy.Timeouts(),
                    next: () -> Next, completed: (Int, Result<HTTPResponse, CurlError>) -> Void) {
        var inFlight: [UnsafeMutableRawPointer: (easy: CurlEasy, tag: Int)] = [:]
        while true {
            var waitHint = 1.0
            // Asked anew each turn: a completion may have queued more work (a retry, a next page).
            var exhausted = false
            fill: while !exhausted && inFlight.count < concurrency {
                switch next() {
                case .done:
                    exhausted = true
                case .wait(let seconds):
                    waitHint = min(waitHint, max(0.001, seconds))
                    break fill
                case .request(let tag, let request):
                    let easy: CurlEasy
                    if let reused = idle.popLast() {
                        easy = reused
                    } else {
                        do { easy = try CurlEasy() } catch { completed(tag, .failure(error)); continue }
                    }
                    do { try easy.prepare(request, timeouts: timeouts) } catch {
                        idle.append(easy)
                        completed(tag, .failure(error))
                        continue
                    }
                    dsv_curl_multi_add_handle(multi, easy.handle)
                    inFlight[easy.handle] = (easy, tag)
                }
            }
            if inFlight.isEmpty {
                if exhausted { return }
                UTCClock.sleep(seconds: waitHint)
                continue
            }
            var running: Int32 = 0
            dsv_curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = dsv_curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                      let entry = inFlight.removeValue(forKey: handle) else { continue }
                let code = message.pointee.data.result
                dsv_curl_multi_remove_handle(multi, handle)
                let result = code == CURLE_OK ? entry.easy.takeResponse() : .failure(entry.easy.takeFailure(code, detail: ""))
                idle.append(entry.easy)
                completed(entry.tag, result)
            }
            if inFlight.count == running && running > 0 {
                dsv_curl_multi_poll(multi, Int32(min(waitHint, 1.0) * 1000))
            }
        }
    }

    public enum Next {
        case request(tag: Int, HTTPRequest)
        case wait(seconds: Double)
        case done
    }
}
