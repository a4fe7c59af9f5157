import AccordGRPC
import AccordHTTP
import AccordReport
import Foundation
import Histogram
import Logging
import NIOCore
import Synchronization

/// What to run: the model, the traffic mix and the limits.
public struct LoadPlan: Sendable {
    public enum Model: Sendable {
        case open([RateStage])
        case closed(users: Int, duration: Duration)
    }

    public struct Entry: Sendable {
        public var interaction: any LoadInteraction
        public var weight: Int
        public init(_ interaction: any LoadInteraction, weight: Int = 1) {
            self.interaction = interaction
            self.weight = weight
        }
    }

    public var model: Model
    public var mix: [Entry]
    public var maxInFlight: Int
    /// Requests whose intended time falls in the warm-up are sent but not recorded.
    public var warmup: Duration
    /// How long in-flight requests get to finish after the schedule ends or a stop.
    public var drainTimeout: Duration

    public init(
        model: Model, mix: [Entry], maxInFlight: Int = 10_000, warmup: Duration = .zero,
        drainTimeout: Duration = .seconds(5)
    ) {
        self.model = model
        self.mix = mix
        self.maxInFlight = maxInFlight
        self.warmup = warmup
        self.drainTimeout = drainTimeout
    }

    public var duration: Duration { model.duration }

    /// Requests the open model's schedule calls for after the warm-up (nil for closed).
    var intendedRequests: Double? {
        guard case .open(let stages) = model else { return nil }
        return stages.reduce(0) { $0 + $1.arrivals }
    }
}

extension LoadPlan.Model {
    /// How long the load runs: its stages in turn, or the closed model's duration.
    public var duration: Duration {
        switch self {
        case .open(let stages): stages.reduce(.zero) { $0 + $1.duration }
        case .closed(_, let duration): duration
        }
    }
}

/// One second of the run, merged over workers.
public struct LoadInterval: Sendable {
    /// Seconds since the start at which the interval began.
    public var start: Double
    public var length: Double
    /// Per interaction, in plan order.
    public var stats: [LatencyStats]
    public var inFlight: Int
    public var generator: GeneratorStats
}

/// One second of the run as its results keep it: the timeline's figures, and its latencies as
/// interval-log lines, compressed when the second closes. Not its histograms: at one full-width
/// histogram pair per interaction each second, a long run's memory would grow all along.
public struct RecordedInterval: Sendable {
    public var start: Double
    public var length: Double
    public var inFlight: Int
    public var generator: GeneratorStats
    /// Per interaction, in plan order: requests, errors, p50 and p99 (ms, from the intended time).
    public var samples: [TimelinePoint.Sample]
    /// `latency.hlog`'s lines: one per interaction with requests (or why they could not be encoded).
    public var logLines: Result<[IntervalLogWriter.Line], HistogramEncoding.CompressionFailed>

    init(_ interval: LoadInterval, names: [String]) {
        start = interval.start
        length = interval.length
        inFlight = interval.inFlight
        generator = interval.generator
        samples = interval.stats.map { stats in
            let latency = LatencyStats.summary(stats.corrected)
            return TimelinePoint.Sample(
                count: stats.requests, errors: stats.errorCount, p50: latency.p50, p99: latency.p99)
        }
        logLines = Result { () throws(HistogramEncoding.CompressionFailed) in
            var lines: [IntervalLogWriter.Line] = []
            for (name, stats) in zip(names, interval.stats) where stats.requests > 0 {
                lines.append(try IntervalLogWriter.Line(
                    tag: name, start: interval.start, length: interval.length, histogram: stats.corrected))
            }
            return lines
        }
    }
}

/// Everything a run measured.
public struct LoadOutcome: Sendable {
    public var names: [String]
    public var totals: [LatencyStats]
    /// Each second, as kept (see `RecordedInterval`).
    public var intervals: [RecordedInterval]
    public var generator: GeneratorStats
    public var startedAt: Date
    public var elapsed: Duration
    /// True when the run was stopped early (SIGINT, cancellation): figures are partial.
    public var interrupted: Bool
    /// How long after its start the load was stopped early (cancelled, or overdue); nil when it
    /// ran its course.
    public var stoppedAfter: Duration?
    /// Requests still open when the drain timeout ran out.
    public var abandonedInFlight: Int
    /// The windows a scenario observed (one per shutdown step), in the order it opened them.
    public var windows: [WindowOutcome]
    /// Per interaction: requests in any window, each counted once (empty stats without one).
    public var drain: [LatencyStats]
    /// Per interaction: requests that ended before the first window opened (all of them without one).
    public var steady: [LatencyStats]
    /// `MonotonicTime` at the run's start, to place scenario timestamps on the run's clock.
    public var startNanos: UInt64
    /// `MonotonicTime` when the load ended, before the generator closed its connections.
    public var endNanos: UInt64
}

/// What one observed window (a shutdown step) measured, merged over workers.
public struct WindowOutcome: Sendable {
    /// Per interaction, in plan order.
    public var stats: [LatencyStats]
    /// The last request that ended OK before the target's exit was seen (monotonic ns).
    public var lastSuccess: UInt64?
    /// The first request refused before processing, and its error kind.
    public var firstRefusal: (at: UInt64, kind: String)?
}

/// What a scenario running beside the load (a shutdown) may do to the run.
public struct LoadRunControl: Sendable {
    let workers: [NIOLoopBound<LoadWorker>]
    /// `MonotonicTime` at the run's start.
    public let startNanos: UInt64

    /// Opens (or, called again, closes) window `index`: requests still open at `start`, or sent
    /// before `end` (monotonic ns), are also recorded apart. Windows are opened in index order.
    public func observe(window index: Int, from start: UInt64, until end: UInt64 = .max) async {
        for worker in workers {
            try? await worker.eventLoop.submit { worker.value.observe(window: index, from: start, until: end) }.get()
        }
    }

    /// The target of window `index` exited at `time` (monotonic ns).
    public func exited(window index: Int, at time: UInt64) async {
        for worker in workers {
            try? await worker.eventLoop.submit { worker.value.exited(window: index, at: time) }.get()
        }
    }
}

/// Runs a plan over a set of event loops, one worker per loop, and gathers intervals each second.
public struct LoadRunner: Sendable {
    public var logger: Logger

    public init(logger: Logger = Logger(label: "accord.load")) {
        self.logger = logger
    }

    /// Runs until the plan ends or the task is cancelled (which stops sending, drains, and
    /// still returns everything measured). `onInterval` sees each second as it closes.
    /// `scenario` runs beside the load from its start (a shutdown); it is cancelled if still
    /// running when the load ends.
    ///
    /// One worker runs on each of `loops`. A mix whose every interaction runs on a
    /// `SocketEventLoop` (HTTP/1.1 alone) runs on as many loops of Accord's own instead, made for
    /// the run: their connections skip NIO's channel pipeline, which costs more user time per
    /// request than wrk spends in all (README, "Measured").
    public func run(
        _ plan: LoadPlan, on loops: [EventLoop], onInterval: @Sendable (LoadInterval) -> Void = { _ in },
        scenario: (@Sendable (LoadRunControl) async -> Void)? = nil
    ) async throws -> LoadOutcome {
        guard plan.mix.allSatisfy(\.interaction.runsOnSocketEventLoop) else {
            return try await run(plan, workingOn: loops, onInterval: onInterval, scenario: scenario)
        }
        let socketLoops = SocketEventLoop.makeLoops(count: loops.count)
        do {
            let outcome = try await run(plan, workingOn: socketLoops, onInterval: onInterval, scenario: scenario)
            for loop in socketLoops { await loop.shutdown() }
            return outcome
        } catch {
            for loop in socketLoops { await loop.shutdown() }
            throw error
        }
    }

    private func run(
        _ plan: LoadPlan, workingOn loops: [EventLoop], onInterval: @Sendable (LoadInterval) -> Void,
        scenario: (@Sendable (LoadRunControl) async -> Void)?
    ) async throws -> LoadOutcome {
        let workers = try await makeWorkers(plan, loops: loops)
        let startedAt = Date()
        let start = ContinuousClock.now
        let startNanos = MonotonicTime.now()
        for worker in workers { try await worker.eventLoop.submit { worker.value.begin(at: startNanos) }.get() }
        let control = LoadRunControl(workers: workers, startNanos: startNanos)
        let scenarioTask = scenario.map { scenario in Task { await scenario(control) } }

        var intervals: [RecordedInterval] = []
        let names = plan.mix.map(\.interaction.name)
        var interrupted = false
        var stoppedAt: ContinuousClock.Instant?
        let finished = Flag()
        EventLoopFuture.andAllComplete(workers.map { w in w.eventLoop.flatSubmit { w.value.finished } }, on: loops[0])
            .whenComplete { _ in finished.set() }
        var second = 0
        while true {
            second += 1
            let boundary = start + .seconds(second)
            while ContinuousClock.now < boundary && !finished.isSet && !Task.isCancelled {
                try? await Task.sleep(for: min(.milliseconds(20), ContinuousClock.now.duration(to: boundary)))
            }
            let overdue = start.duration(to: .now) > plan.duration + plan.drainTimeout
            if (Task.isCancelled || overdue) && stoppedAt == nil {
                interrupted = Task.isCancelled
                stoppedAt = .now
                for worker in workers { try? await worker.eventLoop.submit { worker.value.stop() }.get() }
            }
            let interval = Self.merge(
                try await snapshot(workers), start: Double(second - 1), now: start.duration(to: .now))
            intervals.append(RecordedInterval(interval, names: names))
            onInterval(interval)
            if finished.isSet { break }
            if let stoppedAt, stoppedAt.duration(to: .now) >= plan.drainTimeout { break }
            if stoppedAt != nil {
                // Draining after a stop: wait for stragglers up to the drain timeout.
                let drainEnd = stoppedAt! + plan.drainTimeout
                while ContinuousClock.now < drainEnd && !finished.isSet {
                    // Not Task.sleep: once cancelled it returns at once, and this would spin.
                    try? await loops[0].scheduleTask(in: .milliseconds(20)) {}.futureResult.get()
                }
            }
        }
        if let scenarioTask {
            scenarioTask.cancel()
            await scenarioTask.value
        }
        let final = try await snapshot(workers)
        let endNanos = MonotonicTime.now()
        for worker in workers {
            try? await worker.eventLoop.flatSubmit { worker.value.close() }.get()
        }
        var totals = Array(repeating: LatencyStats(), count: plan.mix.count)
        var drain = totals, steady = totals
        var windows: [ObservationWindow] = []
        var generator = GeneratorStats()
        for snapshot in final {
            for (i, stats) in snapshot.total.enumerated() { totals[i].add(stats) }
            for (i, stats) in snapshot.drain.enumerated() { drain[i].add(stats) }
            for (i, stats) in (snapshot.steady ?? snapshot.total).enumerated() { steady[i].add(stats) }
            for (w, window) in snapshot.windows.enumerated() {
                if w < windows.count { windows[w].add(window) } else { windows.append(window) }
            }
            generator.add(snapshot.generator)
        }
        return LoadOutcome(
            names: names, totals: totals, intervals: intervals, generator: generator,
            startedAt: startedAt, elapsed: start.duration(to: .now), interrupted: interrupted,
            stoppedAfter: stoppedAt.map { start.duration(to: $0) },
            abandonedInFlight: final.reduce(0) { $0 + $1.inFlight },
            windows: windows.map {
                WindowOutcome(stats: $0.stats, lastSuccess: $0.lastSuccess, firstRefusal: $0.firstRefusal)
            },
            drain: drain, steady: steady, startNanos: startNanos, endNanos: endNanos)
    }

    private func makeWorkers(_ plan: LoadPlan, loops: [EventLoop]) async throws -> [NIOLoopBound<LoadWorker>] {
        let warmup = UInt64(plan.warmup.nanoseconds)
        var workers: [NIOLoopBound<LoadWorker>] = []
        for (index, loop) in loops.enumerated() {
            let model: LoadWorker.Model
            switch plan.model {
            case .open(let stages):
                model = .open(ArrivalSchedule(stages: stages, worker: index, of: loops.count))
            case .closed(let users, let duration):
                let share = users / loops.count + (index < users % loops.count ? 1 : 0)
                model = .closed(users: share, duration: duration)
            }
            let maxInFlight = max(1, plan.maxInFlight / loops.count)
            let mix = plan.mix
            do {
                let worker = try await loop.flatSubmit {
                    let drivers = mix.map { $0.interaction.makeDriver(on: loop) }
                    let worker = LoadWorker(
                        eventLoop: loop, drivers: drivers, weights: mix.map(\.weight), model: model,
                        warmupNanos: warmup, maxInFlight: maxInFlight, worker: index,
                        workers: loops.count)
                    let bound = NIOLoopBound(worker, eventLoop: loop)
                    let connected = zip(mix, drivers).map { entry, driver in
                        let name = entry.interaction.name
                        return driver.connect().flatMapErrorThrowing {
                            throw ConnectError(interaction: name, cause: $0)
                        }
                    }
                    return EventLoopFuture.andAllSucceed(connected, on: loop).map { bound }
                        .flatMapError { error in
                            Self.abandon(bound.value).flatMapThrowing { throw error }
                        }
                }.get()
                workers.append(worker)
            } catch {
                for worker in workers {
                    try? await worker.eventLoop.flatSubmit { Self.abandon(worker.value) }.get()
                }
                throw error
            }
        }
        return workers
    }

    /// A worker that will never begin (the run could not connect): settles its finish promise
    /// and releases whatever did connect.
    private static func abandon(_ worker: LoadWorker) -> EventLoopFuture<Void> {
        worker.stop()
        return worker.close()
    }

    private func snapshot(_ workers: [NIOLoopBound<LoadWorker>]) async throws -> [LoadWorker.Snapshot] {
        var snapshots: [LoadWorker.Snapshot] = []
        for worker in workers { snapshots.append(try await worker.eventLoop.submit { worker.value.snapshot() }.get()) }
        return snapshots
    }

    private static func merge(_ snapshots: [LoadWorker.Snapshot], start: Double, now: Duration) -> LoadInterval {
        var stats = Array(repeating: LatencyStats(), count: snapshots.first?.interval.count ?? 0)
        var generator = GeneratorStats()
        for snapshot in snapshots {
            for (i, s) in snapshot.interval.enumerated() { stats[i].add(s) }
            generator.add(snapshot.generator)
        }
        let elapsed = Double(now.nanoseconds) / 1e9
        return LoadInterval(
            start: start, length: max(0.001, elapsed - start), stats: stats,
            inFlight: snapshots.reduce(0) { $0 + $1.inFlight }, generator: generator)
    }
}

/// An interaction could not connect before the run: nothing was sent.
public struct ConnectError: Error, CustomStringConvertible {
    public let interaction: String
    public let cause: any Error
    public var description: String {
        // The pool's message already says where and why ("127.0.0.1:9: connection refused").
        "\(interaction) cannot connect: \((cause as? HTTPClientError)?.message ?? "\(cause)")"
    }
}

/// A one-way flag set from an event loop and polled by the runner.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
