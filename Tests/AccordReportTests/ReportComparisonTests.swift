import AccordReport
import Foundation
import Testing

@Suite struct ReportComparisonTests {
    typealias Series = ReportFixtures.Series

    /// Five seconds at a steady p50/p99, with a little jitter, 100 requests each.
    static func steady(_ name: String, p50: Double, p99: Double, rate: Double = 100) -> Series {
        let jitter = [0.0, 0.03, -0.02, 0.01, -0.03]
        return Series(
            name: name, p50: p50, p99: p99, rate: rate,
            seconds: jitter.map { (p50 * (1 + $0), p99 * (1 + $0), UInt64(rate)) })
    }

    static func compare(_ base: [Series], _ run: [Series], floor: Double = 1) -> ReportComparison {
        ReportComparison(
            base: ReportFixtures.synthetic(base), run: ReportFixtures.synthetic(run),
            options: .init(threshold: 0.2, latencyFloor: floor))
    }

    @Test func aShiftInEverySecondIsARegression() throws {
        let comparison = Self.compare(
            [Self.steady("slow", p50: 1, p99: 2), Self.steady("fast", p50: 1, p99: 2)],
            [Self.steady("slow", p50: 51, p99: 52), Self.steady("fast", p50: 1.02, p99: 2.1)])
        let found = comparison.regressions(beyond: 0.2)
        #expect(found.map(\.interaction) == ["slow"])
        #expect(found.map(\.change.metric) == [.p99])
        let slow = try #require(comparison.rows.first { $0.name == "slow" }?.change(.p99))
        #expect(slow.beyondNoise && slow.isWorse)
        #expect(abs((slow.relative ?? 0) - 25) < 1e-9)
        let fast = try #require(comparison.rows.first { $0.name == "fast" }?.change(.p99))
        #expect(!fast.isSignificant(beyond: 0.2))
    }

    @Test func aSpikeInOneSecondIsNoise() throws {
        // The run's overall p99 is 40 ms because of one bad second; the typical second did not move.
        var spiky = Self.steady("a", p50: 1, p99: 40)
        spiky.seconds = [(1, 2, 100), (1, 2, 100), (1, 40, 100), (1, 2, 100), (1, 2.1, 100)]
        let comparison = Self.compare([Self.steady("a", p50: 1, p99: 2)], [spiky])
        let p99 = try #require(comparison.rows.first?.change(.p99))
        #expect(!p99.beyondNoise)
        #expect(comparison.regressions(beyond: 0.2).isEmpty)
        #expect(comparison.text().contains("(noise)"))
    }

    @Test func shiftsBelowTheFloorAreNoiseUnlessTheFloorIsLowered() {
        let base = [Self.steady("a", p50: 0.2, p99: 0.3)], run = [Self.steady("a", p50: 0.3, p99: 0.5)]
        #expect(Self.compare(base, run).regressions(beyond: 0.2).isEmpty)
        #expect(Self.compare(base, run, floor: 0.1).regressions(beyond: 0.2).map(\.change.metric) == [.p99])
    }

    @Test func aThroughputDropIsARegressionAndAnImprovementIsNot() throws {
        let comparison = Self.compare(
            [Self.steady("a", p50: 10, p99: 20, rate: 100), Self.steady("b", p50: 10, p99: 20)],
            [Self.steady("a", p50: 10, p99: 20, rate: 60), Self.steady("b", p50: 2, p99: 4)])
        let found = comparison.regressions(beyond: 0.2).map { "\($0.interaction) \($0.change.metric)" }
        #expect(found == ["a throughput"])
        let b = try #require(comparison.rows.last?.change(.p99))
        #expect(b.isSignificant(beyond: 0.2) && !b.isWorse)
        #expect(comparison.text().contains("better"))
    }

    @Test func interactionsInOneRunOnlyAreListedNotCompared() {
        let comparison = Self.compare([Self.steady("a", p50: 1, p99: 2), Self.steady("gone", p50: 1, p99: 2)],
                                      [Self.steady("a", p50: 1, p99: 2), Self.steady("new", p50: 1, p99: 2)])
        #expect(comparison.rows.map(\.name) == ["a", "gone", "new"])
        #expect(comparison.notes.contains("gone is only in BASE: not compared."))
        #expect(comparison.notes.contains("new is only in RUN: not compared."))
        #expect(comparison.regressions(beyond: 0).isEmpty)
    }

    @Test func oneSecondOfDataHasUnknownNoiseAndSaysSo() {
        var short = Self.steady("a", p50: 1, p99: 2)
        short.seconds = [(1, 2, 100)]
        let comparison = Self.compare([short], [Self.steady("a", p50: 1, p99: 2)])
        #expect(comparison.rows.first?.change(.p99)?.baseSeconds == nil)
        #expect(comparison.notes.contains { $0.contains("noise is unknown") })
        #expect(comparison.text().contains("p99 ?/"))
    }

    @Test func textAndHTMLShowTheVerdictAndEscapeNames() {
        let hostile = "<script>x</script>\u{1B}[2J"
        let comparison = Self.compare([Self.steady(hostile, p50: 1, p99: 2)], [Self.steady(hostile, p50: 30, p99: 60)])
        let text = comparison.text(failingBeyond: 0.2)
        #expect(text.contains("REGRESSION beyond 20% and the noise: <script>x</script>\u{FFFD}[2J p99 +2900.0%"))
        #expect(!text.contains("\u{1B}"), "an escape sequence from a name reached the terminal")
        let html = comparison.html(failingBeyond: 0.2)
        #expect(!html.contains("<script>"))
        #expect(html.contains("<strong>&lt;script&gt;x&lt;/script&gt;\u{FFFD}[2J</strong>"))
        #expect(html.contains("<span class=\"verdict fail\">REGRESSION</span>"))
    }

    @Test(arguments: [([1.0, 2, 3, 4], 2.5, 1.5), ([5.0, 5], 5, 0), ([3.0, 1, 2], 2, 1)])
    func perSecondSpreadIsMedianAndInterquartileRange(values: [Double], median: Double, iqr: Double) throws {
        let spread = try #require(PerSecondSpread(values))
        #expect(spread.median == median && spread.interquartileRange == iqr && spread.seconds == values.count)
    }

    @Test func oneValueHasNoSpread() {
        #expect(PerSecondSpread([1]) == nil)
        #expect(PerSecondSpread([.nan, 2]) == nil)
    }
}
