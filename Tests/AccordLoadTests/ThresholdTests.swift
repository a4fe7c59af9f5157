import AccordLoad
import Testing

@Suite struct ThresholdTests {
    @Test(arguments: [
        ("p99 < 25ms", "p99", Threshold.Comparison.less, 25.0),
        ("p99.9<=0.5s", "p99.9", .lessOrEqual, 500),
        ("p50 < 250us", "p50", .less, 0.25),
        ("errors < 0.1%", "errors", .less, 0.1),
        ("rate >= 1900/s", "rate", .greaterOrEqual, 1900),
        ("shutdown.failed_in_flight == 0", "shutdown.failed_in_flight", .equal, 0),
        ("shutdown.drain < 5s", "shutdown.drain", .less, 5),
        ("shutdown.drain < 500ms", "shutdown.drain", .less, 0.5),
        ("messages.lost == 0", "messages.lost", .equal, 0),
        ("messages.in_hand > 0", "messages.in_hand", .greater, 0),
        ("messages.redelivered <= 10", "messages.redelivered", .lessOrEqual, 10),
    ])
    func parses(expression: String, metric: String, comparison: Threshold.Comparison, limit: Double) throws {
        let threshold = try Threshold(expression)
        #expect(threshold.metric == metric)
        #expect(threshold.comparison == comparison)
        #expect(abs(threshold.limit - limit) < 1e-9)
    }

    @Test(arguments: [
        ("p99 25ms", "no comparison"), ("p98 < 25ms", "unknown metric \"p98\""), ("p99 < fast", "not a number"),
        ("errors < 5ms", "does not fit"), ("p99 < 10%", "does not fit"),
        ("p99 < -5ms", "a limit is a finite number, 0 or more"), ("rate > 1e999/s", "a limit is a finite number"),
        ("errors < 200%", "a percentage is at most 100%"),
    ])
    func rejectsWithAReason(expression: String, reason: String) {
        #expect {
            try Threshold(expression)
        } throws: { error in
            "\(error)".contains(reason) && "\(error)".contains(expression)
        }
    }

    @Test func evaluates() throws {
        let p99 = try Threshold("p99 < 25ms")
        #expect(p99.passes(24.9))
        #expect(!p99.passes(25))
        #expect(!p99.passes(nil))
        #expect(try Threshold("messages.lost == 0").passes(0))
        #expect(try Threshold("rate > 100/s").passes(150))
    }
}
