import Dispatch

/// A value computed on another thread while the caller goes on, waited for when it is wanted:
/// for work that is independent of what the caller does meanwhile, when the caller leaves a
/// core idle (a checkout reads its shards' blob ids on one core while another decodes the order
/// stream). With `T` `Void`, work that only has to be done before the caller ends (a commit's
/// element cache).
public final class BackgroundValue<T, E: Error>: @unchecked Sendable {
    private let done = DispatchGroup()
    /// Written once by the background thread before `done` is left; read after waiting on it.
    private var result: Result<T, E>?

    public init(_ body: @escaping @Sendable () throws(E) -> T) {
        done.enter()
        DispatchQueue.global().async { [self] in
            result = Result { () throws(E) -> T in try body() }
            done.leave()
        }
    }

    /// The value, or what the computation threw; waits for it.
    public func value() throws(E) -> T {
        done.wait()
        return try result!.get()
    }
}
