import Foundation

/// How two runs of the same plan differ, per interaction: p50, p99 and throughput, each judged
/// against the noise the runs themselves show.
///
/// The rule, so a reader can check it: a change is significant when the overall figure moved by
/// more than the threshold, and the typical second moved the same way by more than the noise. The
/// typical second is the median of the run's per-second values (from the timeline); the noise is
/// the larger of the two runs' interquartile ranges of those values, and never less than the
/// floor (`latencyFloor` for p50 and p99). A spike in one second moves the overall p99 but not the
/// typical second, so it does not count; a shift in every second does.
public struct ReportComparison: Sendable {
    public struct Options: Sendable {
        /// A change counts only when the overall figure moved by more than this fraction.
        public var threshold: Double
        /// Latency shifts below this many milliseconds count as noise whatever the spread
        /// (scheduler and timer jitter on a shared machine).
        public var latencyFloor: Double

        public init(threshold: Double = 0.10, latencyFloor: Double = 1.0) {
            self.threshold = threshold
            self.latencyFloor = latencyFloor
        }
    }

    public enum Metric: String, Sendable, CaseIterable {
        case p50, p99, throughput

        /// Higher is worse for latency, lower for throughput.
        var higherIsWorse: Bool { self != .throughput }
        var unit: String { self == .throughput ? "/s" : "ms" }
    }

    public struct Change: Sendable, Equatable {
        public var metric: Metric
        /// The whole-run figures.
        public var base: Double
        public var run: Double
        /// The per-second values' median and spread, nil with fewer than two seconds.
        public var baseSeconds: PerSecondSpread?
        public var runSeconds: PerSecondSpread?
        /// The smallest shift of the typical second that is not noise, in the metric's unit.
        public var noise: Double
        /// The typical second moved the same way as the overall figure, by more than `noise`.
        public var beyondNoise: Bool

        /// (run - base) / base; nil when base is 0.
        public var relative: Double? { base != 0 ? (run - base) / base : nil }

        public var isWorse: Bool { metric.higherIsWorse ? run > base : run < base }

        /// Beyond the noise and by more than `fraction` (a figure that appears from 0 always is).
        public func isSignificant(beyond fraction: Double) -> Bool {
            guard beyondNoise else { return false }
            guard let relative else { return run != base }
            return abs(relative) > fraction
        }
    }

    public struct Row: Sendable {
        public var name: String
        public var base: InteractionSummary?
        public var run: InteractionSummary?
        /// p50, p99, throughput; empty when the interaction is in only one run.
        public var changes: [Change]

        public func change(_ metric: Metric) -> Change? { changes.first { $0.metric == metric } }
    }

    public let base: RunSummary
    public let run: RunSummary
    public let options: Options
    public let rows: [Row]

    public init(base: RunSummary, run: RunSummary, options: Options = Options()) {
        self.base = base
        self.run = run
        self.options = options
        var names = base.interactions.map(\.name)
        names += run.interactions.map(\.name).filter { !names.contains($0) }
        rows = names.map { name in
            let before = base.interactions.first { $0.name == name }
            let after = run.interactions.first { $0.name == name }
            guard let before, let after else { return Row(name: name, base: before, run: after, changes: []) }
            let changes = Metric.allCases.map { metric in
                Self.change(
                    metric, of: name, base: (before, base.timeline), run: (after, run.timeline), options: options)
            }
            return Row(name: name, base: before, run: after, changes: changes)
        }
    }

    /// Interactions whose p99 rose, or whose throughput fell, significantly by more than `fraction`.
    public func regressions(beyond fraction: Double) -> [(interaction: String, change: Change)] {
        rows.flatMap { row in
            row.changes.filter { change in
                change.metric != .p50 && change.isWorse && change.isSignificant(beyond: fraction)
            }.map { (row.name, $0) }
        }
    }

    static func change(
        _ metric: Metric, of name: String, base: (InteractionSummary, [TimelinePoint]),
        run: (InteractionSummary, [TimelinePoint]), options: Options
    ) -> Change {
        let before = PerSecondSpread(metric.perSecond(name, base.1))
        let after = PerSecondSpread(metric.perSecond(name, run.1))
        let floor = metric == .throughput ? 0 : options.latencyFloor
        let noise = max(floor, before?.interquartileRange ?? 0, after?.interquartileRange ?? 0)
        let overall = metric.overall(run.0) - metric.overall(base.0)
        let beyondNoise: Bool
        if let before, let after {
            let typical = after.median - before.median
            beyondNoise = abs(typical) > noise && abs(overall) > floor && (typical > 0) == (overall > 0)
        } else {
            // Too few seconds to see the spread: only the floor guards against noise (the note says so).
            beyondNoise = abs(overall) > floor
        }
        return Change(
            metric: metric, base: metric.overall(base.0), run: metric.overall(run.0), baseSeconds: before,
            runSeconds: after, noise: noise, beyondNoise: beyondNoise)
    }
}

extension ReportComparison.Metric {
    func overall(_ interaction: InteractionSummary) -> Double {
        switch self {
        case .p50: interaction.latency.p50
        case .p99: interaction.latency.p99
        case .throughput: interaction.achievedRate
        }
    }

    /// Each second's value: latency only from seconds with requests, throughput from every second
    /// long enough to give a rate.
    func perSecond(_ name: String, _ timeline: [TimelinePoint]) -> [Double] {
        switch self {
        case .p50: timeline.compactMap { $0.interactions[name].flatMap { $0.count > 0 ? $0.p50 : nil } }
        case .p99: timeline.compactMap { $0.interactions[name].flatMap { $0.count > 0 ? $0.p99 : nil } }
        case .throughput: timeline.compactMap { $0.rate(of: name) }
        }
    }
}
