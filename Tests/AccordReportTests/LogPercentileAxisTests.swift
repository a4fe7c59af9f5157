import AccordReport
import Foundation
import Testing

@Suite struct LogPercentileAxisTests {
    @Test(arguments: [
        (0.0, 0.0), (90, 1), (99, 2), (99.9, 3), (99.99, 4), (99.999, 5), (50, log10(2.0)), (75, log10(4.0)),
    ] as [(Double, Double)])
    func eachNineIsOneStep(percentile: Double, position: Double) {
        #expect(abs(LogPercentileAxis.position(ofPercentile: percentile) - position) < 1e-9)
    }

    @Test func outOfRangePercentilesStayOnTheAxis() {
        #expect(LogPercentileAxis.position(ofPercentile: -5) == 0)
        #expect(LogPercentileAxis.position(ofPercentile: 100) == .infinity)
        let axis = LogPercentileAxis(decades: 4)
        // The 100% point (the maximum) sits at the right edge, as do points beyond the last decade.
        #expect(axis.clampedPosition(ofPercentile: 100) == 4)
        #expect(axis.clampedPosition(ofPercentile: 99.9999) == 4)
        #expect(abs(axis.clampedPosition(ofPercentile: 99.9) - 3) < 1e-9)
    }

    @Test func ticksReadAsNines() {
        let axis = LogPercentileAxis(decades: 5)
        #expect(axis.ticks.map(\.label) == ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"])
        #expect(axis.ticks.map(\.position) == [0, 1, 2, 3, 4, 5])
    }

    @Test func widthFollowsTheData() {
        // At least 99.99% (issue 8's axis), wider when the data reaches further, never past the maximum.
        #expect(LogPercentileAxis(covering: [0, 50, 99, 100]).decades == 4)
        #expect(LogPercentileAxis(covering: [0, 99.999, 100]).decades == 5)
        #expect(LogPercentileAxis(covering: [99.9993]).decades == 6)
        #expect(LogPercentileAxis(covering: [99.999999999]).decades == 6)
        #expect(LogPercentileAxis(covering: []).decades == 4)
    }
}
