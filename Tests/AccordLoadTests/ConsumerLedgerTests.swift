import AccordSystem
import Testing

@testable import AccordLoad

/// Accounting for one consumer from its reports: what it processed (once, twice), what a process
/// held when it was signalled, and what is lost.
@Suite struct ConsumerLedgerTests {
    static let consumer = QueueConsumer(service: "worker", event: "job.submitted", queue: "q", soleEvent: true)

    static func signal(replica: Int = 0, launched: UInt64 = 0, at: UInt64) -> ShutdownScenario.SentSignal {
        ShutdownScenario.SentSignal(replica: ReplicaID(service: "worker", replica: replica), at: at, launched: launched)
    }

    /// Reports of run `r1`: `(id, stage, replica, at)`.
    static func ledger(_ reports: [(String, ConsumerReport.Stage, Int, UInt64)]) -> ConsumerLedger {
        var ledger = ConsumerLedger(runID: "r1")
        for (id, stage, replica, at) in reports {
            ledger.record(ConsumerReport(id: id, stage: stage), replica: replica, at: at)
        }
        return ledger
    }

    @Test func countsProcessedOnceTwiceAndOthersMessages() {
        let ledger = Self.ledger([
            ("r1-0-0", .received, 0, 1), ("r1-0-0", .processed, 0, 2),
            ("r1-0-1", .received, 0, 3), ("r1-0-1", .processed, 0, 4),
            // Redelivered after a restart and processed again.
            ("r1-0-1", .received, 0, 9), ("r1-0-1", .processed, 0, 10),
            ("r0-0-5", .processed, 0, 11), ("other", .processed, 0, 12), ("other", .received, 0, 13),
        ])
        let figures = ledger.accounting(Self.consumer, confirmed: 2, leftInQueue: 0, signals: [])
        #expect(figures.processed == 2 && figures.redelivered == 1 && figures.untracked == 2)
        #expect(figures.lost == 0 && figures.inHand == nil)
        #expect(ledger.lastReportAt == 13)
    }

    @Test func inHandIsWhatTheSignalledProcessHadTakenAndNotSettled() {
        let ledger = Self.ledger([
            ("r1-0-0", .received, 0, 10), ("r1-0-0", .processed, 0, 20),  // done before the signal
            ("r1-0-1", .received, 0, 30),                                 // held, processed after it
            ("r1-0-1", .processed, 0, 60),
            ("r1-0-2", .received, 0, 40),                                 // held, never processed
            ("r1-0-3", .received, 0, 41), ("r1-0-3", .requeued, 0, 45),   // handed back before it
            ("r1-0-4", .received, 1, 42),                                 // another replica's
            ("r1-0-5", .received, 0, 55),                                 // taken after the signal
        ])
        let figures = ledger.accounting(Self.consumer, confirmed: 6, leftInQueue: 1, signals: [Self.signal(at: 50)])
        #expect(figures.inHand == 2)
        // 6 confirmed, 2 processed, 1 in the queue: 3 lost.
        #expect(figures.processed == 2 && figures.leftInQueue == 1 && figures.lost == 3)
        // Two signals to replica 0 add up; the second process (launched at 70) reported nothing held.
        let twice = ledger.accounting(
            Self.consumer, confirmed: 6, leftInQueue: 1,
            signals: [Self.signal(at: 50), Self.signal(launched: 70, at: 80)])
        #expect(twice.inHand == 2)
        #expect(ledger.accounting(Self.consumer, confirmed: 6, leftInQueue: 0,
                                  signals: [Self.signal(replica: 1, at: 50)]).inHand == 1)
    }

    @Test func withoutReceiptsNothingIsKnownOfWhatItHeld() {
        let ledger = Self.ledger([("r1-0-0", .processed, 0, 5)])
        let figures = ledger.accounting(Self.consumer, confirmed: 1, leftInQueue: nil, signals: [Self.signal(at: 3)])
        #expect(figures.inHand == nil && figures.leftInQueue == nil && figures.lost == 0)
    }

    @Test func lostIsNeverBelowZero() {
        // The queue holds messages the run did not publish: more than what is missing.
        let ledger = Self.ledger([("r1-0-0", .processed, 0, 5)])
        #expect(ledger.accounting(Self.consumer, confirmed: 3, leftInQueue: 40, signals: []).lost == 0)
        #expect(ledger.accounting(Self.consumer, confirmed: 3, leftInQueue: nil, signals: []).lost == 2)
    }
}
