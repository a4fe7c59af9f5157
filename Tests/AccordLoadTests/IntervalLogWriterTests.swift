import AccordJSON
import AccordLoad
import AccordTestSupport
import Foundation
import Histogram
import Testing

/// The interval log is checked by a decoder nobody here wrote: Python's `hdrh`.
@Suite struct IntervalLogWriterTests {
    @Test func pythonHdrHistogramReadsTheSameCountsAndPercentiles() throws {
        guard try ExternalTool.pythonModuleAvailable("hdrh") else { return }
        var writer = IntervalLogWriter(startTime: Date(timeIntervalSince1970: 1_700_000_000))
        var totals: [String: Histogram<UInt64>] = [:]
        var generator = SystemRandomNumberGenerator()
        for second in 0..<5 {
            for tag in ["orders.GetOrder", "gateway POST /orders"] {
                var interval = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
                for _ in 0..<2000 {
                    // Mostly sub-millisecond, a long tail up to 2 s, and a few empty stretches between.
                    let value = UInt64.random(in: 50...900, using: &generator)
                        * (UInt64.random(in: 0..<100, using: &generator) == 0 ? 2000 : 1)
                    interval.record(value)
                }
                try writer.append(tag: tag, start: Double(second), length: 1, histogram: interval)
                totals[tag, default: Histogram<UInt64>(numberOfSignificantValueDigits: .three)].add(interval)
            }
        }
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("latency.hlog")
        try writer.write(to: log)

        let reader = Bundle.module.path(forResource: "read_hlog", ofType: "py", inDirectory: "Fixtures")!
        let result = try ChildProcess.run(["python3", reader, log.path])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try JSONParser.parse(result.stdout)
        for (tag, histogram) in totals {
            let safeTag = tag.replacingOccurrences(of: " ", with: "_")
            let entry = decoded[safeTag]
            #expect(entry?["count"] == .number(JSONNumber(histogram.totalCount)), "\(tag)")
            for (key, percentile) in [("p50", 50.0), ("p99", 99.0)] {
                // Both sides report a value in the same equivalence range.
                let theirs = entry?[key]?.numberValue?.uint64Value ?? 0
                #expect(histogram.valuesAreEquivalent(theirs, histogram.valueAtPercentile(percentile)), "\(tag) \(key)")
            }
            let theirMax = entry?["max"]?.numberValue?.uint64Value ?? 0
            #expect(histogram.valuesAreEquivalent(theirMax, histogram.max), "\(tag) max")
        }
    }
}
