import AccordGRPC
import AccordReport
import Foundation
import Histogram

extension LatencyStats {
    /// Percentiles in milliseconds (histograms hold microseconds).
    static func summary(_ histogram: Histogram<UInt64>) -> LatencySummary {
        func ms(_ value: UInt64) -> Double { Double(value) / 1000 }
        guard histogram.totalCount > 0 else { return LatencySummary(p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0) }
        return LatencySummary(
            p50: ms(histogram.valueAtPercentile(50)), p90: ms(histogram.valueAtPercentile(90)),
            p99: ms(histogram.valueAtPercentile(99)), p999: ms(histogram.valueAtPercentile(99.9)),
            max: ms(histogram.max), mean: histogram.mean / 1000)
    }

    /// The percentile distribution HdrHistogram plots: 5 ticks per half distance to 100%.
    static func distribution(_ histogram: Histogram<UInt64>) -> [PercentilePoint] {
        guard histogram.totalCount > 0 else { return [] }
        return histogram.percentiles(ticksPerHalfDistance: 5).map {
            PercentilePoint(percentile: $0.percentileLevelIteratedTo, milliseconds: Double($0.value) / 1000)
        }
    }
}

extension LoadOutcome {
    /// `interrupted after 3.2 of 60 s` when a cancellation stopped the load early; nil otherwise.
    /// `planned` is how long the load was to run.
    public func interruption(planned: Duration) -> String? {
        guard interrupted else { return nil }
        let seconds = { (duration: Duration) in Double(duration.nanoseconds) / 1e9 }
        return String(format: "interrupted after %.1f of %g s", seconds(stoppedAfter ?? elapsed), seconds(planned))
    }

    /// Whether the generator failed to keep its schedule: more than 1% of sends late.
    public var fellBehind: Bool {
        generator.sent > 0 && Double(generator.late) / Double(generator.sent) > 0.01
    }

    /// The per-interaction, per-second and generator parts of a run summary.
    /// `transports` and `intendedRates` are per interaction, in plan order.
    public func interactionSummaries(transports: [String], intendedRates: [Double?]) -> [InteractionSummary] {
        let seconds = max(0.001, Double(elapsed.nanoseconds) / 1e9)
        return names.indices.map { i in
            let stats = totals[i]
            return InteractionSummary(
                name: names[i], transport: transports[i], count: stats.requests, errors: stats.errorCount,
                errorsByKind: stats.errors, intendedRate: intendedRates[i],
                achievedRate: Double(stats.requests) / seconds, latency: LatencyStats.summary(stats.corrected),
                serviceTime: LatencyStats.summary(stats.service),
                distribution: LatencyStats.distribution(stats.corrected),
                messages: stats.messages > 0 ? stats.messages : nil)
        }
    }

    public var timeline: [TimelinePoint] {
        intervals.map { interval in
            TimelinePoint(
                second: interval.start, inFlight: interval.inFlight,
                interactions: Dictionary(zip(names, interval.samples)) { first, _ in first }, length: interval.length)
        }
    }

    public var generatorSummary: GeneratorSummary {
        GeneratorSummary(
            scheduled: generator.scheduled, sent: generator.sent, late: generator.late,
            maxLagMilliseconds: Double(generator.maxLagNanos) / 1e6, fellBehind: fellBehind)
    }
}
