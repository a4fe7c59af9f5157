import AccordGRPC
import NIOCore

/// The part of a run one event loop drives: it fires requests at their intended times,
/// keeps at most its share of max-in-flight open, and records outcomes on the same loop,
/// so nothing on the per-request path takes a lock or hops threads.
final class LoadWorker {
    enum Model {
        case open(ArrivalSchedule)
        /// Closed model: this many virtual users, each sending as soon as its last request ended.
        case closed(users: Int, duration: Duration)
    }

    /// Per-interaction figures since the start (after warm-up) and since the last interval.
    struct Snapshot: Sendable {
        var total: [LatencyStats]
        var interval: [LatencyStats]
        /// The scenario's windows (shutdown steps), in the order they were opened.
        var windows: [ObservationWindow]
        /// Requests in any window, each once; and those that ended before the first window opened.
        var drain: [LatencyStats]
        var steady: [LatencyStats]?
        var generator: GeneratorStats
        var inFlight: Int
        var finished: Bool
    }

    let eventLoop: EventLoop
    private let drivers: [any LoadInteractionDriver]
    private let cumulativeWeights: [Int]
    // What a request touches is marked `@exclusivity(unchecked)`: only this worker's loop touches
    // it, never while another access is open, and the dynamic checks would cost on every request
    // (as in AccordHTTP's pool).
    @exclusivity(unchecked) private var model: Model
    @exclusivity(unchecked) private var startNanos: UInt64 = 0
    @exclusivity(unchecked) private var endNanos: UInt64 = .max
    private let warmupNanos: UInt64
    private let maxInFlight: Int
    private let sequenceBase: UInt64
    private let sequenceStride: UInt64
    @exclusivity(unchecked) private var sequence: UInt64 = 0
    @exclusivity(unchecked) private var generator = GeneratorStats()
    private var total: [LatencyStats]
    @exclusivity(unchecked) private var interval: [LatencyStats]
    @exclusivity(unchecked) private var windows: [ObservationWindow] = []
    private var drain: [LatencyStats]
    private var steady: [LatencyStats]?
    @exclusivity(unchecked) private var inFlight = 0
    @exclusivity(unchecked) private var pending: UInt64?
    /// The schedule is held at max in flight (no timer pending): the next completion resumes it.
    @exclusivity(unchecked) private var heldAtLimit = false
    @exclusivity(unchecked) private var timer: Scheduled<Void>?
    @exclusivity(unchecked) private var stopped = false
    /// Inside a driver's `start`: a request that ends there (its payload could not be built) must
    /// not fire the next one from within, or a closed-model run whose every request fails at once
    /// would recurse until the stack runs out.
    @exclusivity(unchecked) private var firing = false
    @exclusivity(unchecked) private var random: SplitMix64
    private var onFinished: EventLoopPromise<Void>
    private var finishSignalled = false

    init(
        eventLoop: EventLoop, drivers: [any LoadInteractionDriver], weights: [Int], model: Model,
        warmupNanos: UInt64, maxInFlight: Int, worker: Int, workers: Int
    ) {
        self.eventLoop = eventLoop
        self.drivers = drivers
        var running = 0
        self.cumulativeWeights = weights.map { running += $0; return running }
        self.model = model
        self.warmupNanos = warmupNanos
        self.maxInFlight = max(1, maxInFlight)
        self.sequenceBase = UInt64(worker)
        self.sequenceStride = UInt64(workers)
        self.total = Array(repeating: LatencyStats(), count: drivers.count)
        self.interval = Array(repeating: LatencyStats(), count: drivers.count)
        self.drain = Array(repeating: LatencyStats(), count: drivers.count)
        self.random = SplitMix64(seed: 0x5EED &+ UInt64(worker))
        self.onFinished = eventLoop.makePromise()
    }

    /// Completes when the schedule is over and every request has ended (or `stop` was called).
    var finished: EventLoopFuture<Void> { onFinished.futureResult }

    /// Starts the schedule; its times count from `startNanos` (shared by all workers).
    func begin(at startNanos: UInt64) {
        self.startNanos = startNanos
        switch model {
        case .open: tick()
        case .closed(let users, let duration):
            endNanos = startNanos + UInt64(duration.nanoseconds)
            for _ in 0..<min(users, maxInFlight) {
                let now = MonotonicTime.now()
                fire(intended: now, now: now)
            }
        }
    }

    /// Stops sending; requests in flight still complete and are recorded.
    func stop() {
        stopped = true
        timer?.cancel()
        finishIfIdle()
    }

    func close() -> EventLoopFuture<Void> {
        EventLoopFuture.andAllComplete(drivers.map { $0.close() }, on: eventLoop)
    }

    /// Window `index` (opened in order): requests open at `start` (monotonic ns) or sent before
    /// `end` are also recorded apart. Opening the first one keeps what ended before as steady state.
    func observe(window index: Int, from start: UInt64, until end: UInt64) {
        if index < windows.count {
            windows[index].end = end
            return
        }
        if windows.isEmpty {
            // What ended before: the closed intervals, and the one still open (a window may open
            // before the runner's snapshot at the same second closes it).
            var before = total
            for index in before.indices { before[index].add(interval[index]) }
            steady = before
        }
        windows.append(ObservationWindow(start: start, end: end, interactions: drivers.count))
    }

    /// The target of window `index` exited at `time`: later successes are not "before the exit".
    func exited(window index: Int, at time: UInt64) {
        guard index < windows.count else { return }
        windows[index].exitedAt = time
    }

    func snapshot() -> Snapshot {
        // Requests are recorded once, in the interval; the total takes each interval as it closes.
        for index in total.indices { total[index].add(interval[index]) }
        defer { interval = total.map(LatencyStats.init(sizedLike:)) }
        return Snapshot(
            total: total, interval: interval, windows: windows, drain: drain, steady: steady, generator: generator,
            inFlight: inFlight, finished: stopped && inFlight == 0)
    }

    private func tick() {
        guard !stopped, case .open(var schedule) = model else { return }
        heldAtLimit = false
        let now = MonotonicTime.now()
        while inFlight < maxInFlight {
            guard let next = pending ?? schedule.next() else {
                model = .open(schedule)
                stopped = true
                finishIfIdle()
                return
            }
            let due = startNanos + next
            if due > now {
                pending = next
                model = .open(schedule)
                let bound = NIOLoopBound(self, eventLoop: eventLoop)
                timer = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(due)) { bound.value.tick() }
                return
            }
            pending = nil
            generator.scheduled += 1
            fire(intended: due, now: now)
        }
        // At max in flight: the schedule waits where it is; the next completion resumes it,
        // and the wait shows as latency because it counts from the intended time.
        model = .open(schedule)
        heldAtLimit = true
    }

    /// `now` is a recent reading of the clock (the caller's: one reading serves a burst).
    private func fire(intended: UInt64, now: UInt64) {
        let lag = now &- intended
        if lag > GeneratorStats.lateThresholdNanos { generator.late += 1 }
        generator.maxLagNanos = max(generator.maxLagNanos, lag)
        generator.sent += 1
        let index = pick()
        let number = sequenceBase + sequence * sequenceStride
        sequence += 1
        inFlight += 1
        firing = true
        drivers[index].start(sequence: number, done: RequestCompletion(worker: self, index: index, intended: intended))
        firing = false
    }

    /// Records request `index`'s outcome and, in the closed model, fires the user's next one.
    func completed(index: Int, intended: UInt64, outcome: RequestOutcome) {
        inFlight -= 1
        if intended >= startNanos + warmupNanos {
            interval[index].record(intended: intended, outcome: outcome)
            if !windows.isEmpty { recordInWindows(index: index, intended: intended, outcome: outcome) }
        }
        switch model {
        case .open:
            // Otherwise a timer for the next arrival is already pending: one per arrival.
            if heldAtLimit { tick() }
        case .closed:
            if firing {
                // This user's next request goes out on the loop's next turn (see `firing`).
                eventLoop.assumeIsolated().execute { [self] in
                    nextClosedRequest()
                    finishIfIdle()
                }
                return
            }
            nextClosedRequest()
        }
        finishIfIdle()
    }

    /// The closed model: a user whose request ended sends the next at once, until the duration is up.
    private func nextClosedRequest() {
        let now = MonotonicTime.now()
        if !stopped && now < endNanos {
            generator.scheduled += 1
            fire(intended: now, now: now)
        } else {
            stopped = true
        }
    }

    /// In a window: still open when it began (the calls a shutdown can lose), or sent before it ended.
    private func recordInWindows(index: Int, intended: UInt64, outcome: RequestOutcome) {
        var inAny = false
        for w in windows.indices where outcome.endedAt >= windows[w].start && intended < windows[w].end {
            inAny = true
            windows[w].record(index: index, intended: intended, outcome: outcome)
        }
        if inAny { drain[index].record(intended: intended, outcome: outcome) }
    }

    private func finishIfIdle() {
        guard stopped, inFlight == 0, !finishSignalled else { return }
        finishSignalled = true
        onFinished.succeed()
    }

    private func pick() -> Int {
        guard drivers.count > 1 else { return 0 }
        let roll = Int(random.next() % UInt64(cumulativeWeights.last!))
        return cumulativeWeights.firstIndex { roll < $0 }!
    }
}

/// A small, fast, seedable generator for the traffic mix: reproducible runs, no locks.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
