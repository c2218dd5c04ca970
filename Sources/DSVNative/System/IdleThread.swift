import Glibc

/// A thread of its own in Linux's `SCHED_IDLE` class: it runs only on a core no other thread of
/// the machine wants. Work that must be done but is needed only at the end (the sources' SHA-256
/// during a commit) then fills the moments the main work leaves a core idle instead of competing
/// with it.
public enum IdleThread {
    /// `SCHED_IDLE` from `<sched.h>`, which Swift does not see (it sits behind `_GNU_SOURCE`).
    static let idlePolicy: Int32 = 5

    /// Starts `body` on a new detached thread in the idle class. Should the class be refused
    /// (another kernel), the thread simply runs at normal priority.
    public static func start(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            var parameters = sched_param()
            parameters.sched_priority = 0
            _ = sched_setscheduler(0, IdleThread.idlePolicy, &parameters)
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
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
