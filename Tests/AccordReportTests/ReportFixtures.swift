import AccordReport
import Foundation

/// The summaries and scripts under Fixtures/.
enum ReportFixtures {
    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "Fixtures/\(name) is not in the test bundle" }
    }

    static func url(_ name: String) throws -> URL {
        let url = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard url.count == 2,
            let found = Bundle.module.url(forResource: url[0], withExtension: url[1], subdirectory: "Fixtures")
        else { throw Missing(name: name) }
        return found
    }

    /// `load`, `check`, `xss` or `rolling`: Fixtures/NAME-summary.json.
    static func summary(_ name: String) throws -> RunSummary {
        try RunSummary.decode(Data(contentsOf: url("\(name)-summary.json")))
    }
}

extension ReportFixtures {
    /// One interaction of a made-up run: its whole-run figures and one (p50, p99, count) per second.
    struct Series {
        var name: String
        var p50: Double
        var p99: Double
        var rate: Double
        var seconds: [(p50: Double, p99: Double, count: UInt64)]
    }

    static let start = Date(timeIntervalSince1970: 1_736_935_200)

    /// A load run built in code, for tests that need particular numbers.
    static func synthetic(_ series: [Series], name: String = "synthetic") -> RunSummary {
        let length = series.map(\.seconds.count).max() ?? 0
        let interactions = series.map { s in
            let latency = LatencySummary(
                p50: s.p50, p90: s.p99 * 0.8, p99: s.p99, p999: s.p99, max: s.p99, mean: s.p50)
            return InteractionSummary(
                name: s.name, transport: "grpc", count: s.seconds.reduce(0) { $0 + $1.count }, errors: 0,
                errorsByKind: [:], intendedRate: s.rate, achievedRate: s.rate, latency: latency, serviceTime: latency,
                distribution: [PercentilePoint(percentile: 0, milliseconds: s.p50 / 2),
                               PercentilePoint(percentile: 50, milliseconds: s.p50),
                               PercentilePoint(percentile: 99, milliseconds: s.p99),
                               PercentilePoint(percentile: 100, milliseconds: s.p99)])
        }
        let timeline = (0..<length).map { second in
            var samples: [String: TimelinePoint.Sample] = [:]
            for s in series where second < s.seconds.count {
                let point = s.seconds[second]
                samples[s.name] = .init(count: point.count, errors: 0, p50: point.p50, p99: point.p99)
            }
            return TimelinePoint(second: Double(second), inFlight: 1, interactions: samples, length: 1)
        }
        let metadata = RunMetadata(
            accordVersion: "0.1.0", hostname: "test-host", cores: 2, operatingSystem: "Linux", startedAt: start,
            endedAt: start.addingTimeInterval(Double(length)))
        return RunSummary(
            kind: "load", name: name, metadata: metadata, verdict: Verdict(passed: true, exitCode: 0),
            interactions: interactions, timeline: timeline)
    }
}
