import AccordLoad
import Foundation
import Synchronization

/// The live progress of a load run: one line refreshed each second on a terminal, a plain
/// line every five seconds otherwise (CI logs).
final class ProgressLine: Sendable {
    private let total: Duration
    private let names: [String]
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private let previousSent = Mutex<UInt64>(0)

    init(total: Duration, names: [String]) {
        self.total = total
        self.names = names
    }

    func show(_ interval: LoadInterval) {
        let second = Int(interval.start) + 1
        let sent = interval.generator.sent
        let rate = previousSent.withLock { previous in
            defer { previous = sent }
            return Double(sent - previous) / interval.length
        }
        var merged = LatencyStats()
        for stats in interval.stats { merged.add(stats) }
        let p50 = Double(merged.corrected.valueAtPercentile(50)) / 1000
        let p99 = Double(merged.corrected.valueAtPercentile(99)) / 1000
        let line = String(
            format: "[%4ds/%ds] sent %7.0f/s  done %7d  in flight %5d  p50 %8.2f ms  p99 %8.2f ms  errors %d",
            second, Int(total.components.seconds), rate, merged.requests, interval.inFlight, p50, p99,
            merged.errorCount)
        if isTerminal {
            FileHandle.standardOutput.write(Data(("\r" + line).utf8))
        } else if second % 5 == 0 {
            say(line)
        }
    }

    func finish() {
        if isTerminal { say("") }
    }
}
