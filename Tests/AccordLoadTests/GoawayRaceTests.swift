import AccordGRPC
import AccordLoad
import Testing

/// The GOAWAY race judged from a connection's events alone: times are made up (nanoseconds),
/// nothing runs.
@Suite struct GoawayRaceTests {
    static let ms: UInt64 = 1_000_000

    static func judge(_ events: [GoawayRace.Event]) -> GoawayRace {
        var race = GoawayRace()
        for event in events { race.record(event) }
        return race
    }

    @Test func aSingleGoawayThenAnImmediateCloseLosesTheStreamsItHad() {
        let race = Self.judge([
            .goaway(lastStreamID: 9, at: 100 * Self.ms),
            .streamReset(streamID: 7, code: .cancel, at: 101 * Self.ms),
            // Refused streams were never processed: not the race's casualties.
            .streamReset(streamID: 11, code: .refusedStream, at: 101 * Self.ms),
            .streamReset(streamID: 5, code: .refusedStream, at: 101 * Self.ms),
            .closed(openStreams: [9, 13], at: 102 * Self.ms),
        ])
        #expect(race.happened)
        #expect(race.casualties == 2, "stream 7 reset, stream 9 dropped; 13 is above the last-stream-id")
        #expect(race.seenAt == 102 * Self.ms)
    }

    @Test(arguments: [
        // Two GOAWAYs: the drain of a well-behaved server.
        [GoawayRace.Event.goaway(lastStreamID: .max, at: 0), .goaway(lastStreamID: 9, at: 1),
         .closed(openStreams: [9], at: 2)],
        // A PING after the GOAWAY: the drain's round trip, even if the second GOAWAY never came.
        [.goaway(lastStreamID: .max, at: 0), .ping(at: 1), .closed(openStreams: [9], at: 2)],
        // The close came long after the GOAWAY: streams that died then were not in a race.
        [.goaway(lastStreamID: 9, at: 0), .closed(openStreams: [9], at: 900_000_000)],
        // No GOAWAY at all (a crash): failed in flight, but no race to flag.
        [.streamReset(streamID: 3, code: .cancel, at: 0), .closed(openStreams: [5], at: 1)],
        // A single GOAWAY and an immediate close, but nothing open: nothing lost.
        [.goaway(lastStreamID: 9, at: 0), .closed(openStreams: [], at: 1)],
        // Resets before the GOAWAY are not its doing.
        [.streamReset(streamID: 3, code: .cancel, at: 0), .goaway(lastStreamID: 9, at: 1),
         .closed(openStreams: [], at: 2)],
    ])
    func noRaceWithoutASingleGoawayAndAnImmediateCloseThatLoseStreams(events: [GoawayRace.Event]) {
        let race = Self.judge(events)
        #expect(!race.happened)
        #expect(race.casualties == 0 && race.seenAt == nil)
    }

    @Test func eventsAfterTheCloseChangeNothing() {
        var race = Self.judge([.goaway(lastStreamID: 9, at: 0), .closed(openStreams: [1], at: Self.ms)])
        race.record(.goaway(lastStreamID: 3, at: 2 * Self.ms))
        race.record(.streamReset(streamID: 1, code: .cancel, at: 2 * Self.ms))
        #expect(race.casualties == 1)
    }

    @Test func theWindowOfAnImmediateCloseIsAParameter() {
        var strict = GoawayRace(immediateCloseNanos: 10 * Self.ms)
        strict.record(.goaway(lastStreamID: 9, at: 0))
        strict.record(.closed(openStreams: [1], at: 20 * Self.ms))
        #expect(!strict.happened)
        #expect(Self.judge([.goaway(lastStreamID: 9, at: 0), .closed(openStreams: [1], at: 20 * Self.ms)]).happened)
    }
}
