/// Retries with exponential backoff and full jitter (AWS's recommendation), for S3 and CVAT alike:
/// on 5xx, 408, 429, timeouts and dropped connections; never on other 4xx, which a second try
/// would only repeat. `Retry-After` is honored (up to 30 s).
public struct RetryPolicy: Sendable {
    public var attempts = 5
    public var baseDelay = 0.1
    public var maxDelay = 5.0

    public init() {}

    /// Whether an HTTP status is worth another try.
    public static func isRetryable(status: Int) -> Bool {
        status >= 500 || status == 408 || status == 429
    }

    /// After a retryable failure of attempt number `attempts` (counting from 1): how long to wait
    /// before the next one, or nil when none is left.
    public func delay(afterAttempt attempts: Int, retryAfter: Double?) -> Double? {
        guard attempts < self.attempts else { return nil }
        return delay(attempt: attempts, retryAfter: retryAfter)
    }

    /// A random delay in [0, min(max, base·2^attempt)], or what the server asked for.
    func delay(attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(retryAfter, 30) }
        return Double.random(in: 0...min(maxDelay, baseDelay * Double(1 << min(attempt, 16))))
    }
}
