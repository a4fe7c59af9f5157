@testable import AccordLoad
import Testing

/// A shutdown step's window as a value: which requests count, and the moments derived from them.
@Suite struct ObservationWindowTests {
    static func outcome(_ error: String?, ended: UInt64) -> RequestOutcome {
        RequestOutcome(error: error, sentAt: ended - 5, endedAt: ended)
    }

    @Test func theLastSuccessStopsAtTheExitAndTheFirstRefusalIsTheEarliest() {
        var window = ObservationWindow(start: 100, end: .max, interactions: 2)
        window.record(index: 0, intended: 90, outcome: Self.outcome(nil, ended: 120))
        window.record(index: 1, intended: 95, outcome: Self.outcome("connect_failed", ended: 150))
        window.record(index: 0, intended: 96, outcome: Self.outcome("refused", ended: 140))
        // Not refusals: the server answered (with an error status), or the call was lost in flight.
        window.record(index: 0, intended: 97, outcome: Self.outcome("grpc.UNAVAILABLE", ended: 130))
        window.record(index: 0, intended: 98, outcome: Self.outcome("reset.CANCEL", ended: 131))
        window.exitedAt = 160
        window.record(index: 1, intended: 99, outcome: Self.outcome(nil, ended: 155))
        // Answered after the exit was known: another replica, not "before the exit".
        window.record(index: 1, intended: 99, outcome: Self.outcome(nil, ended: 170))

        #expect(window.lastSuccess == 155)
        #expect(window.firstRefusal?.at == 140 && window.firstRefusal?.kind == "refused")
        #expect(window.stats.map(\.requests) == [4, 3])
        #expect(FateCounts(window.stats[0]).failedInFlight == 1 && FateCounts(window.stats[0]).completed == 2)
    }

    @Test func workersMergeIntoOneWindow() {
        var a = ObservationWindow(start: 100, end: 500, interactions: 1)
        var b = a
        a.record(index: 0, intended: 100, outcome: Self.outcome(nil, ended: 300))
        a.record(index: 0, intended: 100, outcome: Self.outcome("connect_refused", ended: 250))
        b.record(index: 0, intended: 100, outcome: Self.outcome(nil, ended: 200))
        b.record(index: 0, intended: 100, outcome: Self.outcome("refused", ended: 210))
        a.add(b)
        #expect(a.lastSuccess == 300)
        #expect(a.firstRefusal?.at == 210 && a.firstRefusal?.kind == "refused")
        #expect(a.stats[0].requests == 4 && a.stats[0].errorCount == 2)
    }
}
