@testable import AccordAMQP
import Testing

@Suite struct MessageTrackerTests {
    private func stamped(_ tracker: MessageTracker, _ count: Int,
                         event: String = "e") -> [(AMQPMessage, TrackedMessage)] {
        (0..<count).map { _ in
            var message = AMQPMessage("x")
            let ticket = tracker.stamp(&message, event: event)
            return (message, ticket)
        }
    }

    @Test func stampingAddsUniqueIDsAndSendTimes() throws {
        let tracker = MessageTracker(runID: "run1")
        let messages = stamped(tracker, 3)
        let ids = messages.map(\.1.id)
        #expect(ids == ["run1-0-0", "run1-0-1", "run1-0-2"])
        for (message, ticket) in messages {
            #expect(message.properties.headers?[MessageTracker.idHeader] == .string(ticket.id))
            #expect(message.properties.messageID == ticket.id)
            guard case .int64(let sentAt) = message.properties.headers?[MessageTracker.sentAtHeader] else {
                Issue.record("no send time")
                continue
            }
            #expect(sentAt > 1_600_000_000_000_000_000)
        }
    }

    @Test(arguments: [(UInt64(0), "p-0"), (9, "p-9"), (10, "p-10"), (1_234_567, "p-1234567"),
                      (.max, "p-18446744073709551615")])
    func idsEndInTheSequenceNumber(sequence: UInt64, id: String) {
        #expect(MessageTracker.id("p-", sequence) == id)
    }

    /// One by one or as a batch, the same outcomes make the same account.
    @Test(arguments: [false, true])
    func accountsEveryOutcome(asBatch: Bool) {
        let tracker = MessageTracker(runID: "run1")
        let messages = stamped(tracker, 6)
        let outcomes: [PublishOutcome] = [.ack, .ack, .ack, .nack,
                                          .unconfirmed(AMQPError(.library, operation: "t", text: "gone")),
                                          .notSent(AMQPError(.closed, operation: "t", text: "closed"))]
        if asBatch {
            tracker.record(outcomes, for: messages.map(\.1))
        } else {
            for ((_, ticket), outcome) in zip(messages, outcomes) { tracker.record(outcome, for: ticket) }
        }
        // Consumed: m0 once, m1 twice (the second time flagged redelivered), m4 (unconfirmed but arrived).
        for index in [0, 1, 4] {
            tracker.recordConsumed(id: messages[index].1.id, sentAtNanos: nil, redelivered: false, event: "e")
        }
        tracker.recordConsumed(id: messages[1].1.id, sentAtNanos: nil, redelivered: true, event: "e")
        let account = tracker.account(for: "e")
        #expect(account.published == 5)
        #expect(account.notSent == 1)
        #expect(account.confirmed == 3)
        #expect(account.nacked == 1)
        #expect(account.unconfirmed == 1 && account.unconfirmedIDs == [4])
        #expect(account.consumed == 3)
        #expect(account.redelivered == 1)
        #expect(account.duplicated == 0, "a redelivery is not a duplicate")
        #expect(account.lost == 1 && account.lostIDs == [2], "confirmed, never consumed")
        #expect(account.publishToConfirmMicros.totalCount == 3)
    }

    @Test func duplicatesAndForeignMessages() {
        let tracker = MessageTracker(runID: "run1")
        let messages = stamped(tracker, 1)
        tracker.record(.ack, for: messages[0].1)
        tracker.recordConsumed(id: messages[0].1.id, sentAtNanos: MessageTracker.wallClockNanos(), redelivered: false,
                               event: "e")
        tracker.recordConsumed(id: messages[0].1.id, sentAtNanos: nil, redelivered: false, event: "e")
        tracker.recordConsumed(id: "otherrun-0-0", sentAtNanos: nil, redelivered: false, event: "e")
        tracker.recordConsumed(id: nil, sentAtNanos: nil, redelivered: false, event: "e")
        tracker.recordConsumed(id: "run1-0-99", sentAtNanos: nil, redelivered: false, event: "e")
        let account = tracker.account(for: "e")
        #expect(account.duplicated == 1 && account.duplicatedIDs == [0])
        #expect(account.foreign == 3)
        #expect(account.lost == 0)
        #expect(account.publishToConsumeMicros.totalCount == 1)
    }

    @Test func eventsAreAccountedSeparately() {
        let tracker = MessageTracker()
        let a = stamped(tracker, 2, event: "a")
        let b = stamped(tracker, 1, event: "b")
        for (_, ticket) in a + b { tracker.record(.ack, for: ticket) }
        tracker.recordConsumed(id: b[0].1.id, sentAtNanos: nil, redelivered: false, event: "a")
        let accounts = tracker.accounts()
        #expect(accounts["a"]?.lost == 2 && accounts["a"]?.foreign == 1, "b's id is foreign to event a")
        #expect(accounts["b"]?.lost == 1)
    }

    @Test func idListsAreCappedButCountsExact() {
        let tracker = MessageTracker()
        for (_, ticket) in stamped(tracker, 50) { tracker.record(.ack, for: ticket) }
        let account = tracker.account(for: "e", idLimit: 10)
        #expect(account.lost == 50 && account.lostIDs.count == 10)
    }

    /// What a consumer that started at some sequence number still has to see: confirmed messages
    /// from there on that were not consumed (unconfirmed ones and earlier ones do not count).
    @Test func countsTheUnconsumedFromASequenceNumber() {
        let tracker = MessageTracker(runID: "run1")
        #expect(tracker.nextSequence(for: "e") == 0)
        let messages = stamped(tracker, 5)
        #expect(tracker.nextSequence(for: "e") == 5)
        for (_, ticket) in messages.prefix(4) { tracker.record(.ack, for: ticket) }
        tracker.recordConsumed(id: messages[3].1.id, sentAtNanos: nil, redelivered: false, event: "e")
        #expect(tracker.unconsumed(for: "e", from: 0) == 3)
        #expect(tracker.unconsumed(for: "e", from: 2) == 1)
        #expect(tracker.unconsumed(for: "e", from: 3) == 0)
        #expect(tracker.unconsumed(for: "e", from: 9) == 0)
    }
}
