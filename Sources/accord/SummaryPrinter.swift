import AccordReport
import Foundation

/// The end-of-run text: per-interaction figures, thresholds, notes and the verdict.
enum SummaryPrinter {
    static func print(_ summary: RunSummary) {
        say("")
        say(pad("interaction", 32) + pad("count", 10) + pad("rate/s", 10) + pad("errors", 8)
            + pad("p50", 10) + pad("p90", 10) + pad("p99", 10) + pad("p99.9", 10) + "max (ms)")
        for i in summary.interactions {
            let l = i.latency
            say(pad(i.name, 32) + pad("\(i.count)", 10) + pad(String(format: "%.0f", i.achievedRate), 10)
                + pad("\(i.errors)", 8) + [l.p50, l.p90, l.p99, l.p999].map { pad(String(format: "%.2f", $0), 10) }.joined()
                + String(format: "%.2f", l.max))
            for (kind, count) in i.errorsByKind.sorted(by: { $0.key < $1.key }) { say("    \(kind): \(count)") }
        }
        if let shutdown = summary.shutdown { printShutdown(shutdown) }
        if !summary.messages.isEmpty { say("") }
        for m in summary.messages {
            say("messages of \(m.event): \(m.published) published, \(m.confirmed) confirmed, \(m.nacked) nacked, "
                + "\(m.unconfirmed) unconfirmed, \(m.consumed) consumed, \(m.duplicated) duplicated, \(m.lost) lost"
                + (m.publishToConsume.map { String(format: "; publish->consume p99 %.2f ms", $0.p99) } ?? ""))
            for c in m.consumers ?? [] {
                say("  \(c.service) (queue \(c.queue)): \(c.processed) processed, "
                    + "\(c.inHand.map { "\($0) in hand at the signal, " } ?? "")\(c.redelivered) processed twice, "
                    + "\(c.leftInQueue.map { "\($0) left in the queue" } ?? "queue not inspected"), \(c.lost) lost"
                    + (c.untracked > 0
                        ? " (and \(c.untracked) messages the run did not publish itself, such as the services' own)"
                        : ""))
            }
        }
        if !summary.thresholds.isEmpty { say("") }
        for t in summary.thresholds {
            let actual = t.actual.map { String(format: "%.3f%@", $0, t.unit) } ?? "not measured"
            say("\(t.passed ? "PASS" : "FAIL")  \(t.interaction.map { "\($0): " } ?? "")\(t.expression)  (actual \(actual))")
        }
        for note in summary.verdict.notes { say("NOTE  \(note)") }
        say(summary.metadata.partial ? "verdict: INTERRUPTED (partial results)"
            : summary.verdict.passed ? "verdict: pass" : "verdict: FAIL")
    }

    private static func printShutdown(_ shutdown: ShutdownSummary) {
        say("")
        let steps = shutdown.steps ?? []
        say(steps.count > 1
            ? "rolling shutdown, \(steps.count) steps:" : "shutdown of \(shutdown.service) by \(shutdown.signal):")
        for event in shutdown.events {
            let who = event.service.map { service in "  " + service + (event.replica.map { "[\($0)]" } ?? "") } ?? ""
            let via = event.connection.map { "  \($0)" } ?? ""
            say(String(format: "  %7.3fs  ", event.second) + event.kind + who + via
                + (event.detail.isEmpty ? "" : "  \(event.detail)"))
        }
        say("  requests in the windows: \(shutdown.completed) completed, \(shutdown.refusedBeforeProcessing) refused "
            + "before processing, \(shutdown.failedInFlight) failed in flight, \(shutdown.timedOut) timed out"
            + ((shutdown.goawayRace ?? 0) > 0 ? ", \(shutdown.goawayRace ?? 0) lost to the GOAWAY race" : "")
            + (shutdown.drainSeconds.map { String(format: "; drained in %.3fs", $0) } ?? ""))
        for (index, step) in steps.enumerated() where steps.count > 1 {
            let who = step.service + (step.replica.map { "[\($0)]" } ?? "")
            say("  step \(index + 1), \(who): \(step.requests.failedInFlight) failed in flight, "
                + "\(step.requests.refusedBeforeProcessing) refused"
                + (step.drainSeconds.map { String(format: ", drained in %.3fs", $0) } ?? ""))
        }
        for latency in shutdown.latency ?? [] {
            say("  \(latency.name): p99 "
                + String(format: "%.2f ms steady, %.2f ms draining", latency.steady.p99, latency.drain.p99))
        }
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
