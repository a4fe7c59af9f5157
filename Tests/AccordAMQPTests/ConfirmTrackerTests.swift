@testable import AccordAMQP
import Testing

@Suite struct ConfirmTrackerTests {
    private func tracker(publishing count: Int) -> ConfirmTracker<String> {
        var tracker = ConfirmTracker<String>()
        for index in 1...count { #expect(tracker.published("m\(index)") == UInt64(index)) }
        return tracker
    }

    private typealias Tracker = ConfirmTracker<String>

    private func settled(_ event: Tracker.Event) -> ([String], Tracker.PublishConfirmationKind)? {
        if case .settled(let tokens, let kind) = event { return (tokens, kind) }
        return nil
    }

    @Test func multipleAckSettlesEverythingUpToItsTag() throws {
        var tracker = tracker(publishing: 5)
        let first = try #require(settled(tracker.received(tag: 3, multiple: true, ack: true)))
        #expect(first.0 == ["m1", "m2", "m3"] && first.1 == .ack)
        #expect(tracker.outstanding == 2)
    }

    @Test func mixedAcksAndNacksOutOfOrder() throws {
        var tracker = tracker(publishing: 5)
        #expect(try #require(settled(tracker.received(tag: 4, multiple: false, ack: false))).0 == ["m4"])
        let rest = try #require(settled(tracker.received(tag: 5, multiple: true, ack: true)))
        #expect(rest.0 == ["m1", "m2", "m3", "m5"])
        #expect(tracker.outstanding == 0)
    }

    @Test func confirmsForUnpublishedOrSettledTagsAreReported() {
        var tracker = tracker(publishing: 2)
        _ = tracker.received(tag: 1, multiple: false, ack: true)
        guard case .unknownTag(1) = tracker.received(tag: 1, multiple: false, ack: true) else {
            Issue.record("a repeated single confirm must be reported")
            return
        }
        guard case .unknownTag(3) = tracker.received(tag: 3, multiple: true, ack: true) else {
            Issue.record("a confirm beyond the last publish must be reported")
            return
        }
        guard case .unknownTag(0) = tracker.received(tag: 0, multiple: false, ack: true) else {
            Issue.record("tag 0 without multiple must be reported")
            return
        }
        #expect(tracker.outstanding == 1, "nothing settled by bad confirms")
    }

    @Test func repeatedMultipleAckIsHarmless() throws {
        var tracker = tracker(publishing: 3)
        _ = tracker.received(tag: 2, multiple: true, ack: true)
        #expect(try #require(settled(tracker.received(tag: 2, multiple: true, ack: true))).0.isEmpty)
        #expect(tracker.outstanding == 1)
    }

    @Test func channelLossLeavesOutstandingUnconfirmedAndRestartsNumbering() {
        var tracker = tracker(publishing: 4)
        _ = tracker.received(tag: 2, multiple: false, ack: true)
        #expect(tracker.channelLost() == ["m1", "m3", "m4"])
        #expect(tracker.outstanding == 0)
        #expect(tracker.published("n1") == 1)
    }
}
