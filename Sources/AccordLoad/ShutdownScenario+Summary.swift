import AccordProcess
import AccordReport
import AccordSystem

extension ShutdownScenario {
    /// The timeline (the scenario's own events, those derived from the requests, and each
    /// connection's), the accounting of every step's window, and drain against steady latency.
    public func summary(of outcome: LoadOutcome) -> ShutdownSummary {
        let start = outcome.startNanos
        let seconds = { (time: UInt64) in Double(Int64(bitPattern: time &- start)) / 1e9 }
        let times = self.times.withLock { $0 }
        let signals = times.enumerated().compactMap { index, times in times.signalled.map { (step: index, at: $0) } }
        /// The step whose window holds `time`: from its signal until it was ready again (or the end).
        func step(at time: UInt64) -> Int? {
            guard let step = signals.last(where: { $0.at <= time })?.step else { return nil }
            return time <= (times[step].ready ?? .max) ? step : nil
        }

        var timeline = Timeline(seconds: seconds)
        for record in records.withLock({ $0 }) {
            timeline.add(record.at, ShutdownSummary.Event(
                second: 0, kind: record.kind, detail: record.detail, step: record.step,
                service: record.replica?.service ?? steps[record.step].service, replica: record.replica?.replica))
        }
        for (index, window) in outcome.windows.enumerated() where index < steps.count {
            let step = steps[index]
            let several = step.replica != nil && fleet.replicas(of: step.service).count > 1
            if let at = window.lastSuccess {
                let detail = "the last request answered OK before the exit"
                    + (several ? " (the other replicas kept answering)" : "")
                timeline.add(at, ShutdownSummary.Event(
                    second: 0, kind: "last_success", detail: detail, step: index, service: step.service,
                    replica: step.replica))
            }
            if let refusal = window.firstRefusal {
                timeline.add(refusal.at, ShutdownSummary.Event(
                    second: 0, kind: "first_refusal", detail: refusal.kind, step: index, service: step.service,
                    replica: step.replica))
            }
        }
        var races = Array(repeating: UInt64(0), count: steps.count)
        for history in connections.histories {
            for (at, event) in connectionEvents(history) where at <= outcome.endNanos {
                guard let index = step(at: at) else { continue }
                var event = event
                event.step = index
                if event.kind == "goaway_race" { races[index] += UInt64(history.race.casualties) }
                timeline.add(at, event)
            }
        }
        if connections.dropped > 0, let first = signals.first {
            timeline.add(first.at, ShutdownSummary.Event(
                second: 0, kind: "note",
                detail: "\(connections.dropped) connection events were not kept "
                    + "(over \(connections.limit) connections)"))
        }

        let stepSummaries = steps.enumerated().map { index, step in
            let window = index < outcome.windows.count ? outcome.windows[index].stats : []
            var drain: Double?
            if let signalled = times[index].signalled, let exited = times[index].exited {
                drain = Double(Int64(bitPattern: exited &- signalled)) / 1e9
            }
            return ShutdownSummary.Step(
                service: step.service, replica: step.replica, signal: SignalName.of(step.signal),
                signalSecond: times[index].signalled.map(seconds), drainSeconds: drain,
                requests: Self.accounting(window, races: races[index]))
        }
        let total = Self.accounting(outcome.drain, races: races.reduce(0, +))
        return ShutdownSummary(
            service: steps.first?.service ?? "", signal: steps.first.map { SignalName.of($0.signal) } ?? "",
            events: timeline.events, completed: total.completed,
            refusedBeforeProcessing: total.refusedBeforeProcessing, failedInFlight: total.failedInFlight,
            timedOut: total.timedOut,
            drainSeconds: stepSummaries.compactMap(\.drainSeconds).max(), goawayRace: total.goawayRace,
            steps: stepSummaries,
            latency: outcome.names.indices.map { i in
                ShutdownSummary.InteractionLatency(
                    name: outcome.names[i], steady: Self.latency(outcome.steady[i]),
                    drain: Self.latency(outcome.drain[i]))
            })
    }

    /// A connection's timeline entries (without their step): GOAWAYs, `Connection: close`, the
    /// close, and the GOAWAY race.
    func connectionEvents(_ history: ConnectionEventLog.History) -> [(UInt64, ShutdownSummary.Event)] {
        let replica = history.address.flatMap { address in
            address.split(separator: ":").last.flatMap { Int($0) }.flatMap(fleet.replica(listeningOn:))
        }
        func event(_ kind: String, _ detail: String, goaway: ConnectionEventLog.History.Goaway? = nil)
            -> ShutdownSummary.Event
        {
            ShutdownSummary.Event(
                second: 0, kind: kind, detail: detail, service: replica?.service, replica: replica?.replica,
                connection: history.key.description, address: history.address,
                lastStreamID: goaway.map { Int($0.lastStreamID) }, errorCode: goaway.map { "\($0.code)" })
        }
        var events: [(UInt64, ShutdownSummary.Event)] = []
        if let first = history.firstGoaway {
            let count = history.goaways
            let detail = count == 1 ? "the only GOAWAY" : "first of \(count)"
            events.append((first.at, event("goaway", detail, goaway: first)))
            if count > 1, let last = history.lastGoaway {
                events.append((last.at, event("goaway", "last of \(count)", goaway: last)))
            }
        }
        if let first = history.firstConnectionClose {
            let count = history.connectionCloses
            let said = count == 1 ? "a response said Connection: close" : "first of \(count) responses saying it"
            events.append((first, event("connection_close", said)))
            if count > 1, let last = history.lastConnectionClose {
                events.append((last, event("connection_close", "last of \(count) responses saying it")))
            }
        }
        if let closed = history.closedAt { events.append((closed, event("connection_closed", history.closeDetail))) }
        if history.race.happened, let at = history.race.seenAt {
            let window = history.race.immediateCloseNanos / 1_000_000
            let lost = "\(history.race.casualties) streams lost: a single GOAWAY, no drain, "
                + "and the close within \(window) ms"
            events.append((at, event("goaway_race", lost)))
        }
        return events
    }

    static func accounting(_ stats: [LatencyStats], races: UInt64) -> ShutdownSummary.Accounting {
        var merged = LatencyStats()
        for s in stats { merged.add(s) }
        let fates = FateCounts(merged)
        return ShutdownSummary.Accounting(
            completed: fates.completed, refusedBeforeProcessing: fates.refused, failedInFlight: fates.failedInFlight,
            timedOut: fates.timedOut, goawayRace: races)
    }

    static func latency(_ stats: LatencyStats) -> ShutdownSummary.WindowLatency {
        let summary = LatencyStats.summary(stats.corrected)
        return ShutdownSummary.WindowLatency(
            count: stats.requests, errors: stats.errorCount, p50: summary.p50, p99: summary.p99, max: summary.max)
    }
}

/// Timeline entries kept with their monotonic time, in the order added, sorted only at the end
/// (equal times keep that order).
private struct Timeline {
    let seconds: (UInt64) -> Double
    private var entries: [(at: UInt64, order: Int, event: ShutdownSummary.Event)] = []

    init(seconds: @escaping (UInt64) -> Double) {
        self.seconds = seconds
    }

    mutating func add(_ at: UInt64, _ event: ShutdownSummary.Event) {
        var event = event
        event.second = seconds(at)
        entries.append((at, entries.count, event))
    }

    var events: [ShutdownSummary.Event] {
        entries.sorted { ($0.at, $0.order) < ($1.at, $1.order) }.map(\.event)
    }
}
