import AccordLoad
import Testing

@Suite struct ArrivalScheduleTests {
    static func all(_ schedule: ArrivalSchedule) -> [UInt64] {
        var schedule = schedule
        var times: [UInt64] = []
        while let t = schedule.next() { times.append(t) }
        return times
    }

    @Test func constantRateIsEvenlySpaced() {
        let times = Self.all(ArrivalSchedule(stages: [RateStage(rate: 1000, for: .seconds(2))]))
        #expect(times.count == 2000)
        #expect(times.first == 0)
        #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == 1_000_000 })
    }

    @Test func rampFromZeroAcceleratesAndHitsTheArea() {
        let times = Self.all(ArrivalSchedule(stages: [RateStage(from: 0, to: 2000, for: .seconds(10))]))
        // Area under 0..2000/s over 10 s is 10,000 arrivals.
        #expect(times.count == 10_000)
        let firstSecond = times.filter { $0 < 1_000_000_000 }.count
        let lastSecond = times.filter { $0 >= 9_000_000_000 }.count
        #expect(abs(firstSecond - 100) <= 1)  // ∫0..1 of 200t dt
        #expect(abs(lastSecond - 1900) <= 1)  // ∫9..10 of 200t dt
        #expect(times == times.sorted())
        #expect(times.last! < 10_000_000_000)
    }

    @Test func stagesFollowEachOtherIncludingPauses() {
        let times = Self.all(ArrivalSchedule(stages: [
            RateStage(rate: 10, for: .seconds(1)), RateStage(rate: 0, for: .seconds(1)),
            RateStage(rate: 20, for: .seconds(1)),
        ]))
        #expect(times.count == 30)
        #expect(times.filter { $0 >= 1_000_000_000 && $0 < 2_000_000_000 }.isEmpty)
        #expect(times[10] == 2_000_000_000)
    }

    @Test(arguments: [2, 3, 7])
    func workersTogetherMakeTheSameSchedule(workers: Int) {
        let stages = [RateStage(from: 100, to: 900, for: .seconds(3)), RateStage(rate: 500, for: .seconds(1))]
        let whole = Self.all(ArrivalSchedule(stages: stages))
        let parts = (0..<workers).flatMap { Self.all(ArrivalSchedule(stages: stages, worker: $0, of: workers)) }
        #expect(parts.sorted() == whole)
    }
}
