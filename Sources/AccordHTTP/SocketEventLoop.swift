import CEpoll
import Dispatch
import Glibc
import HeapModule
import NIOCore
import Synchronization

/// Something a `SocketEventLoop` tells when its descriptor is ready (on the loop's thread).
protocol SocketWatcher: AnyObject {
    /// `events`: the epoll bits that are set (`EPOLLIN`, `EPOLLOUT`, `EPOLLHUP`, `EPOLLERR`, …).
    func ready(_ events: UInt32)
    /// The loop is stopping: close the descriptor (and stop watching it).
    func loopStopping()
}

/// An event loop of Accord's own: one thread, epoll for the sockets watched on it, a heap of
/// timers, and NIO's `EventLoop` protocol on top, so promises, futures and scheduled tasks work
/// on it as on NIO's loops. It exists for the HTTP/1.1 load client: connections on it read and
/// write their sockets directly instead of through a channel pipeline, which costs more user
/// time per request than wrk spends in all (README, "Measured").
public final class SocketEventLoop: EventLoop, @unchecked Sendable {
    private struct Timer: Comparable {
        let deadline: UInt64
        /// Insertion order: timers due at the same time run in the order they were scheduled.
        let order: UInt64
        let task: TimerTask

        static func < (a: Timer, b: Timer) -> Bool { (a.deadline, a.order) < (b.deadline, b.order) }
        static func == (a: Timer, b: Timer) -> Bool { a.deadline == b.deadline && a.order == b.order }
    }

    /// A scheduled task: it runs, or its promise fails (cancelled, the loop shut down), once.
    /// Touched on the loop only.
    private final class TimerTask: @unchecked Sendable {
        private var body: (() -> Void)?
        private let failure: (any Error) -> Void
        init(body: @escaping () -> Void, failure: @escaping (any Error) -> Void) {
            self.body = body
            self.failure = failure
        }

        /// False when it had already run or failed.
        @discardableResult
        func run() -> Bool {
            guard let body else { return false }
            self.body = nil
            body()
            return true
        }

        func fail(_ error: any Error) {
            guard body != nil else { return }
            body = nil
            failure(error)
        }
    }

    private struct Slot {
        var generation: UInt32
        var watcher: (any SocketWatcher)?
    }

    private struct Inbox {
        var tasks: [@Sendable () -> Void] = []
        /// The eventfd has been written and the loop has not drained it yet.
        var woken = false
        var stopping = false
        /// The loop has ended: it takes no more tasks.
        var ended = false
    }

    private static let wakeupToken = UInt64.max

    private let epoll: CInt
    private let wakeup: CInt
    private let name: String
    private let inbox = Mutex(Inbox())
    // Loop-thread-only state. Not checked dynamically for exclusivity: the per-request path runs
    // through it (as in the pool).
    @exclusivity(unchecked) private var timers = Heap<Timer>()
    @exclusivity(unchecked) private var timerOrder: UInt64 = 0
    @exclusivity(unchecked) private var local: [@Sendable () -> Void] = []
    /// `local`'s second buffer: the two swap each turn, so running tasks allocates nothing.
    @exclusivity(unchecked) private var running: [@Sendable () -> Void] = []
    @exclusivity(unchecked) private var slots: [Slot] = []
    private let stoppedCallbacks = Mutex<[(DispatchQueue, @Sendable (Error?) -> Void)]?>([])

    /// Starts the loop's thread.
    public init(name: String = "accord-socket-loop") {
        self.name = String(name.prefix(15))
        epoll = epoll_create1(CInt(EPOLL_CLOEXEC))
        wakeup = eventfd(0, CInt(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epoll >= 0 && wakeup >= 0, "epoll or eventfd unavailable: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeupToken
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event) == 0, "epoll_ctl: errno \(errno)")
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { argument in
            let loop = Unmanaged<SocketEventLoop>.fromOpaque(argument!).takeRetainedValue()
            accord_set_current_loop(argument)
            accord_set_thread_name(loop.name)
            loop.run()
            accord_set_current_loop(nil)
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(created == 0, "pthread_create: \(created)")
        pthread_detach(thread)
    }

    // Closed here, not when the loop ends: a thread that queued a task just before the end may
    // still write its wakeup, and must not write into a descriptor that now names another file.
    deinit {
        Glibc.close(epoll)
        Glibc.close(wakeup)
    }

    /// `count` loops, for a load run's workers.
    public static func makeLoops(count: Int) -> [SocketEventLoop] {
        (0..<count).map { SocketEventLoop(name: "accord-load-\($0)") }
    }

    // MARK: - EventLoop

    public var inEventLoop: Bool {
        let current: UnsafeRawPointer? = accord_current_loop()
        return current == UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
    }

    public func execute(_ task: @escaping @Sendable () -> Void) {
        if inEventLoop {
            local.append(task)
            return
        }
        // A loop that has ended runs nothing more, as NIO's loops (which log an error instead).
        let wake = inbox.withLock { inbox -> Bool in
            guard !inbox.ended else { return false }
            inbox.tasks.append(task)
            defer { inbox.woken = true }
            return !inbox.woken
        }
        if wake { signalWakeup() }
    }

    public func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        schedule(deadline: deadline, task)
    }

    public func _scheduleTaskIsolatedUnsafeUnchecked<T>(
        deadline: NIODeadline, _ task: @escaping () throws -> T
    ) -> Scheduled<T> {
        schedule(deadline: deadline, task)
    }

    private func schedule<T>(deadline: NIODeadline, _ task: @escaping () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        // The body runs on the loop, where the promise may take a value that is not Sendable.
        let timer = TimerTask(
            body: {
                do { promise.assumeIsolatedUnsafeUnchecked().succeed(try task()) } catch { promise.fail(error) }
            },
            failure: { promise.fail($0) })
        let due = deadline.uptimeNanoseconds
        if inEventLoop {
            insert(timer, due: due)
        } else {
            execute { self.insert(timer, due: due) }
        }
        return Scheduled(promise: promise) { [self] in
            let cancel: @Sendable () -> Void = { timer.fail(EventLoopError.cancelled) }
            if inEventLoop { cancel() } else { execute(cancel) }
        }
    }

    public func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    public func preconditionInEventLoop(file: StaticString, line: UInt) {
        precondition(inEventLoop, "not on the socket loop's thread", file: file, line: line)
    }

    public func preconditionNotInEventLoop(file: StaticString, line: UInt) {
        precondition(!inEventLoop, "on the socket loop's thread", file: file, line: line)
    }

    /// Closes the sockets it watches, runs what is queued, fails the timers still pending
    /// (`EventLoopError.shutdown`) and ends the thread; then calls `callback` on `queue`.
    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable (Error?) -> Void) {
        let first = stoppedCallbacks.withLock { callbacks -> Bool? in
            guard callbacks != nil else { return nil }
            callbacks!.append((queue, callback))
            return callbacks!.count == 1
        }
        switch first {
        case nil: queue.async { callback(nil) }  // already stopped
        case true?:
            let wake = inbox.withLock { inbox -> Bool in
                inbox.stopping = true
                defer { inbox.woken = true }
                return !inbox.woken
            }
            if wake { signalWakeup() }
        case false?: break
        }
    }

    /// Shuts the loop down and waits until its thread has ended.
    public func shutdown() async {
        await withCheckedContinuation { continuation in
            shutdownGracefully(queue: .global()) { _ in continuation.resume() }
        }
    }

    // MARK: - Descriptors (on the loop)

    /// Watches `fd` for `events` (epoll bits); `watcher` is held until `unwatch`.
    func watch(_ fd: CInt, for events: UInt32, by watcher: any SocketWatcher) throws(IOError) {
        let index = Int(fd)
        if index >= slots.count {
            slots.append(contentsOf: repeatElement(Slot(generation: 0), count: index + 1 - slots.count))
        }
        slots[index].generation &+= 1
        slots[index].watcher = watcher
        do {
            try control(EPOLL_CTL_ADD, fd, events)
        } catch {
            slots[index].watcher = nil
            throw error
        }
    }

    func change(_ fd: CInt, to events: UInt32) throws(IOError) {
        try control(EPOLL_CTL_MOD, fd, events)
    }

    /// Stops watching `fd` (before it is closed); events already collected for it are dropped.
    func unwatch(_ fd: CInt) {
        _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        let index = Int(fd)
        guard index < slots.count else { return }
        slots[index].generation &+= 1
        slots[index].watcher = nil
    }

    private func control(_ operation: CInt, _ fd: CInt, _ events: UInt32) throws(IOError) {
        var event = epoll_event()
        event.events = events
        // The generation tells a stale event from one for a new socket that reuses the number.
        event.data.u64 = UInt64(slots[Int(fd)].generation) << 32 | UInt64(UInt32(bitPattern: fd))
        guard epoll_ctl(epoll, operation, fd, &event) == 0 else { throw IOError(errnoCode: errno, reason: "epoll_ctl") }
    }

    // MARK: - The loop

    private func insert(_ timer: TimerTask, due: UInt64) {
        timerOrder &+= 1
        timers.insert(Timer(deadline: due, order: timerOrder, task: timer))
    }

    private func signalWakeup() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeup, &one, MemoryLayout<UInt64>.size)
    }

    private func run() {
        let capacity: CInt = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: Int(capacity))
        defer { events.deallocate() }
        var stopping = false
        while !stopping {
            var now = NIODeadline.now().uptimeNanoseconds
            // The wait counts from after what ran (read again only then: a turn of I/O alone
            // costs one clock read).
            let timersRan = runDueTimers(now: now)
            if runLocalTasks() || timersRan { now = NIODeadline.now().uptimeNanoseconds }
            var timeout = timespec()
            let count: CInt
            if !local.isEmpty {
                count = accord_epoll_wait(epoll, events, capacity, &timeout)
            } else if let next = timers.min {
                let wait = next.deadline > now ? next.deadline - now : 0
                timeout.tv_sec = Int(wait / 1_000_000_000)
                timeout.tv_nsec = Int(wait % 1_000_000_000)
                count = accord_epoll_wait(epoll, events, capacity, &timeout)
            } else {
                count = accord_epoll_wait(epoll, events, capacity, nil)
            }
            if count < 0 {
                precondition(errno == EINTR, "epoll_pwait2: errno \(errno)")
                continue
            }
            for index in 0..<Int(count) {
                let event = events[index]
                if event.data.u64 == Self.wakeupToken {
                    stopping = drainInbox()
                    continue
                }
                let fd = Int(UInt32(truncatingIfNeeded: event.data.u64))
                let generation = UInt32(truncatingIfNeeded: event.data.u64 >> 32)
                guard fd < slots.count, slots[fd].generation == generation, let watcher = slots[fd].watcher else {
                    continue
                }
                watcher.ready(event.events)
            }
        }
        finish()
    }

    /// True when a timer ran.
    private func runDueTimers(now: UInt64) -> Bool {
        var ran = false
        while let next = timers.min, next.deadline <= now {
            if timers.removeMin().task.run() { ran = true }
        }
        return ran
    }

    /// Runs the tasks queued on the loop so far; those they queue run on the next turn, after I/O.
    /// True when there were some.
    @discardableResult
    private func runLocalTasks() -> Bool {
        guard !local.isEmpty else { return false }
        swap(&local, &running)
        for task in running { task() }
        running.removeAll(keepingCapacity: true)
        return true
    }

    /// Takes the tasks other threads queued; true when the loop was asked to stop.
    private func drainInbox() -> Bool {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeup, &counter, MemoryLayout<UInt64>.size)
        let (tasks, stopping) = inbox.withLock { inbox in
            defer {
                inbox.tasks.removeAll()
                inbox.woken = false
            }
            return (inbox.tasks, inbox.stopping)
        }
        local.append(contentsOf: tasks)
        return stopping
    }

    /// As NIO's loops do: close what is watched, run what is queued, fail the timers, and again
    /// for whatever that queued, until nothing is left (at most 1000 rounds: a task that queues
    /// itself again must not keep the loop from ending). Then nothing more is taken.
    private func finish() {
        var rounds = 0
        while true {
            rounds += 1
            for slot in slots { slot.watcher?.loopStopping() }
            runLocalTasks()
            while let timer = timers.popMin() { timer.task.fail(EventLoopError.shutdown) }
            let quiet = local.isEmpty && timers.isEmpty && !slots.contains { $0.watcher != nil }
            let ended = inbox.withLock { inbox -> Bool in
                guard (quiet && inbox.tasks.isEmpty) || rounds >= 1000 else {
                    local.append(contentsOf: inbox.tasks)
                    inbox.tasks.removeAll()
                    return false
                }
                inbox.ended = true
                return true
            }
            if ended { break }
        }
        slots.removeAll()
        let callbacks = stoppedCallbacks.withLock { callbacks in
            defer { callbacks = nil }
            return callbacks ?? []
        }
        for (queue, callback) in callbacks { queue.async { callback(nil) } }
    }
}
