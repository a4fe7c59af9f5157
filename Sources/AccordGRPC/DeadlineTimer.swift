import NIOCore

/// A connection's call deadlines behind one NIO timer, armed for the earliest (the decisions
/// are `CallDeadlines`'). Lives in a channel handler, on its event loop.
struct DeadlineTimer {
    private var deadlines = CallDeadlines()
    private var scheduled: Scheduled<Void>?

    /// Records a call's deadline (`MonotonicTime`). `onFire` makes the timer's callback, which
    /// must call `fired`; it is asked for only when the timer has to be (re)armed.
    mutating func add(
        streamID: Int32, deadline: UInt64, on eventLoop: EventLoop, onFire: () -> @Sendable () -> Void
    ) {
        arm(deadlines.add(streamID: streamID, deadline: deadline), on: eventLoop, onFire: onFire)
    }

    /// A call ended; `isOpen` tells which calls still run.
    mutating func ended(streamID: Int32, isOpen: (Int32) -> Bool) {
        deadlines.ended(streamID: streamID, isOpen: isOpen)
    }

    /// From the timer's callback: the open calls whose deadline has passed; rearms for the next.
    mutating func fired(
        isOpen: (Int32) -> Bool, on eventLoop: EventLoop, onFire: () -> @Sendable () -> Void
    ) -> [Int32] {
        scheduled = nil
        let (expired, next) = deadlines.timerFired(now: MonotonicTime.now(), isOpen: isOpen)
        arm(next, on: eventLoop, onFire: onFire)
        return expired
    }

    /// The connection is gone: no more firing.
    mutating func cancel() {
        scheduled?.cancel()
        scheduled = nil
    }

    private mutating func arm(
        _ action: CallDeadlines.Action, on eventLoop: EventLoop, onFire: () -> @Sendable () -> Void
    ) {
        guard case .arm(let at) = action else { return }
        scheduled?.cancel()
        scheduled = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(at), onFire())
    }
}
