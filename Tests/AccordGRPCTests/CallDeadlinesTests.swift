@testable import AccordGRPC
import Testing

@Suite struct CallDeadlinesTests {
    @Test func theFirstCallArmsTheTimerAndLaterDeadlinesDoNot() {
        var deadlines = CallDeadlines()
        #expect(deadlines.add(streamID: 1, deadline: 100) == .arm(at: 100))
        #expect(deadlines.add(streamID: 3, deadline: 110) == .none)
        #expect(deadlines.add(streamID: 5, deadline: 110) == .none)
        #expect(deadlines.armedAt == 100)
        #expect(deadlines.count == 3)
    }

    @Test func anEarlierDeadlineRearmsAndExpiresInDeadlineOrder() {
        var deadlines = CallDeadlines()
        _ = deadlines.add(streamID: 1, deadline: 500)
        _ = deadlines.add(streamID: 3, deadline: 600)
        #expect(deadlines.add(streamID: 5, deadline: 200) == .arm(at: 200))
        #expect(deadlines.add(streamID: 7, deadline: 550) == .none)
        let (expired, next) = deadlines.timerFired(now: 560) { _ in true }
        #expect(expired == [5, 1, 7])
        #expect(next == .arm(at: 600))
    }

    @Test func endedCallsNeverExpireAndLeaveFromTheFront() {
        var deadlines = CallDeadlines()
        var open: Set<Int32> = [1, 3, 5, 7]
        for (index, id) in open.sorted().enumerated() {
            _ = deadlines.add(streamID: id, deadline: 100 + UInt64(index))
        }
        // Ended behind an open call: stays recorded until the front leaves.
        open.remove(3)
        deadlines.ended(streamID: 3) { open.contains($0) }
        #expect(deadlines.count == 4)
        open.remove(1)
        deadlines.ended(streamID: 1) { open.contains($0) }
        #expect(deadlines.count == 2)
        let (expired, next) = deadlines.timerFired(now: 1_000) { open.contains($0) }
        #expect(expired == [5, 7])
        #expect(next == .none)
        #expect(deadlines.count == 0)
        #expect(deadlines.armedAt == nil)
    }

    @Test func aTimerThatFiresEarlyRearmsForTheEarliestOpenCall() {
        var deadlines = CallDeadlines()
        _ = deadlines.add(streamID: 1, deadline: 100)
        _ = deadlines.add(streamID: 3, deadline: 300)
        // Call 1 ended, but the timer was armed for it: firing at 100 expires nothing.
        let (expired, next) = deadlines.timerFired(now: 100) { $0 == 3 }
        #expect(expired.isEmpty)
        #expect(next == .arm(at: 300))
        #expect(deadlines.add(streamID: 5, deadline: 400) == .none)
    }

    @Test func manyCallsEndingInOrderKeepOnlyTheOpenOnes() {
        var deadlines = CallDeadlines()
        var open = Set<Int32>()
        for id in Int32(1)...5_000 {
            open.insert(id)
            _ = deadlines.add(streamID: id, deadline: UInt64(id))
            if id > 10 {
                open.remove(id - 10)
                deadlines.ended(streamID: id - 10) { open.contains($0) }
            }
        }
        #expect(deadlines.count == 10)
        let (expired, _) = deadlines.timerFired(now: 4_995) { open.contains($0) }
        #expect(expired == Array(4_991...4_995))
        #expect(deadlines.count == 5)
    }
}
