import AccordAMQP
import Testing

@testable import AccordLoad

/// The publisher slots' bookkeeping alone: losing, picking around the lost, spacing the attempts, stopping.
@Suite struct PublisherSlotsTests {
    final class Connection {}

    private let gone = AMQPError(
        .connectionClosed, operation: "basic.publish", replyCode: 320, text: "CONNECTION_FORCED")

    @Test func aLostSlotIsSkippedUntilEveryOneIsLost() throws {
        let (first, second) = (Connection(), Connection())
        var slots = PublisherSlots([first, second])
        #expect(try slots.pick(from: 1)?.get() === second)

        let firstLoss = slots.lose(second, error: gone, at: 10)
        let lost = try #require(firstLoss)
        #expect(lost.slot == 1 && lost.delay == .milliseconds(250))
        // Every publish that was on it notices; only the first starts a reconnect.
        let secondLoss = slots.lose(second, error: gone, at: 11)
        #expect(secondLoss == nil)
        #expect(try slots.pick(from: 1)?.get() === first)
        #expect(try slots.pick(from: 2)?.get() === first)

        _ = slots.lose(first, error: gone, at: 12)
        guard case .failure(let error) = slots.pick(from: 0) else {
            Issue.record("a pick with every slot lost found a connection")
            return
        }
        #expect(error == gone)
        #expect(slots.outages.map(\.slot) == [1, 0])
    }

    @Test func attemptsAreSpacedByADoublingDelayUpToItsBound() throws {
        let lostConnection = Connection()
        var slots = PublisherSlots([lostConnection], firstDelay: .milliseconds(250), maxDelay: .seconds(2))
        _ = slots.lose(lostConnection, error: gone, at: 100)
        let delays = (0..<5).map { _ in slots.attemptFailed(0) }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(2), .seconds(2)])

        let replacement = Connection()
        let installed = slots.reconnected(0, to: replacement, at: 900)
        #expect(installed)
        #expect(try slots.pick(from: 0)?.get() === replacement)
        #expect(slots.outages == [PublisherOutage(slot: 0, lostAt: 100, reason: "\(gone)", attempts: 6,
                                                  reconnectedAt: 900)])
        // The old connection no longer holds the slot: a late failure on it is no new loss.
        let lateLoss = slots.lose(lostConnection, error: gone, at: 950)
        #expect(lateLoss == nil)
    }

    @Test func onceStoppedNothingIsPickedLostOrReconnected() {
        let (open, lost) = (Connection(), Connection())
        var slots = PublisherSlots([open, lost])
        _ = slots.lose(lost, error: gone, at: 1)
        let toClose = slots.stop()
        #expect(toClose.count == 1 && toClose[0] === open)
        #expect(slots.pick(from: 0) == nil)
        let loss = slots.lose(open, error: gone, at: 2)
        let retry = slots.attemptFailed(1)
        let installed = slots.reconnected(1, to: Connection(), at: 3)
        #expect(loss == nil && retry == nil && !installed)
        #expect(slots.outages.count == 1 && slots.outages[0].reconnectedAt == nil)
    }
}
