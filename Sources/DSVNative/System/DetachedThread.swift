import Glibc

/// A detached thread of its own, for work nothing joins: the caller hands its result over
/// through a lock of its own (`BackgroundDigests`).
///
/// An idle one is in Linux's `SCHED_IDLE` class: it runs only on a core no other thread of the
/// machine wants. Work that must be done but is needed only at the end (the sources' SHA-256
/// during a commit) then fills the moments the main work leaves a core idle instead of competing
/// with it. A thread cannot be moved back out of that class without `CAP_SYS_NICE`: work needed
/// sooner is handed to a new thread at normal priority instead.
public enum DetachedThread {
    /// `SCHED_IDLE` from `<sched.h>`, which Swift does not see (it sits behind `_GNU_SOURCE`).
    static let idlePolicy: Int32 = 5

    /// Starts `body` on a new detached thread, in the idle class when `idle`. Should the class
    /// be refused (another kernel), the thread simply runs at normal priority; should no thread
    /// start, `body` runs here.
    public static func start(idle: Bool, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body, idle: idle)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            if body.idle {
                var parameters = sched_param()
                parameters.sched_priority = 0
                _ = sched_setscheduler(0, DetachedThread.idlePolicy, &parameters)
            }
            body.run()
            return nil
        }, context)
        if started == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Body>.fromOpaque(context).release()
            body()
        }
    }

    private final class Body {
        let run: @Sendable () -> Void
        let idle: Bool
        init(_ run: @escaping @Sendable () -> Void, idle: Bool) { (self.run, self.idle) = (run, idle) }
    }
}
