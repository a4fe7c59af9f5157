@testable import AccordAMQP
import Testing

@Suite struct ConsumerStateTests {
    private let oneSecond = Monotonic.second

    @Test func gracefulStopWaitsForSettlementThenClosesTheChannel() {
        var state = ConsumerState()
        #expect(state.delivered(tag: 1) == .deliver)
        #expect(state.delivered(tag: 2) == .deliver)
        let first = state.stopRequested(now: 0, settleTimeoutNanos: 10 * oneSecond)
        let second = state.stopRequested(now: 1, settleTimeoutNanos: 10 * oneSecond)
        #expect(first, "first stop sends basic.cancel")
        #expect(!second, "a second stop sends nothing")
        #expect(state.delivered(tag: 3) == .deliver, "deliveries before cancel-ok are still handed over")
        state.cancelConfirmed()
        #expect(state.delivered(tag: 4) == .requeue, "nothing may arrive after cancel-ok")
        #expect(state.step(now: 2) == .none)
        #expect(state.settle(tag: 2, multiple: true) == .send)
        #expect(state.step(now: 3) == .none, "tag 3 is still held")
        #expect(state.settle(tag: 3, multiple: false) == .send)
        #expect(state.step(now: 4) == .closeChannel(abandoned: 0))
        #expect(state.settle(tag: 3, multiple: false) == .channelClosed)
    }

    @Test func settleDeadlineClosesWithWhatIsUnsettled() {
        var state = ConsumerState()
        _ = state.delivered(tag: 1)
        _ = state.delivered(tag: 2)
        _ = state.stopRequested(now: 100, settleTimeoutNanos: 5)
        state.cancelConfirmed()
        #expect(state.deadline == 105)
        #expect(state.step(now: 104) == .none)
        #expect(state.step(now: 105) == .closeChannel(abandoned: 2))
        #expect(state.phase == .closed)
    }

    @Test func unknownSettlementsAreNotSent() {
        var state = ConsumerState()
        _ = state.delivered(tag: 1)
        #expect(state.settle(tag: 1, multiple: false) == .send)
        #expect(state.settle(tag: 1, multiple: false) == .unknownTag, "a double ack would close the channel")
        #expect(state.settle(tag: 9, multiple: false) == .unknownTag)
    }

    @Test func brokerCancelDrainsWithoutSendingCancel() {
        var state = ConsumerState()
        _ = state.delivered(tag: 1)
        state.brokerCancelled(now: 0, settleTimeoutNanos: 10)
        let cancel = state.stopRequested(now: 1, settleTimeoutNanos: 10)
        #expect(!cancel, "nothing left to cancel")
        #expect(state.delivered(tag: 2) == .requeue)
        #expect(state.settle(tag: 1, multiple: false) == .send)
        #expect(state.step(now: 2) == .closeChannel(abandoned: 0))
    }

    @Test func channelLossReportsUnsettled() {
        var state = ConsumerState()
        _ = state.delivered(tag: 1)
        _ = state.delivered(tag: 2)
        _ = state.settle(tag: 1, multiple: false)
        #expect(state.channelLost() == 1)
        #expect(state.settle(tag: 2, multiple: false) == .channelClosed)
        #expect(state.step(now: 0) == .none)
    }
}
