@testable import AccordGRPC
import Testing

@Suite struct ServerShutdownStateMachineTests {
    @Test func twoGoawaysThenCloseWhenStreamsDrain() {
        var machine = ServerShutdownStateMachine()
        #expect(machine.beginShutdown() == .sendShutdownNoticeAndPing)
        #expect(machine.beginShutdown() == .none)
        #expect(machine.pingAckedOrTimedOut(openStreams: 3) == [.sendFinalGoaway])
        #expect(machine.pingAckedOrTimedOut(openStreams: 3) == [])
        #expect(machine.streamClosed(openStreams: 2) == .none)
        #expect(machine.streamClosed(openStreams: 0) == .close)
        #expect(machine.state == .closed)
        #expect(machine.graceExpired() == .none)
    }

    @Test func idleConnectionClosesRightAfterTheFinalGoaway() {
        var machine = ServerShutdownStateMachine()
        _ = machine.beginShutdown()
        #expect(machine.pingAckedOrTimedOut(openStreams: 0) == [.sendFinalGoaway, .close])
        #expect(machine.state == .closed)
    }

    @Test func streamsClosingBeforeShutdownDoNothing() {
        var machine = ServerShutdownStateMachine()
        #expect(machine.streamClosed(openStreams: 0) == .none)
        #expect(machine.graceExpired() == .none)
        #expect(!machine.isShuttingDown)
    }

    @Test(arguments: [false, true])
    func graceExpiryResetsWhetherOrNotThePingCameBack(pingAcked: Bool) {
        var machine = ServerShutdownStateMachine()
        _ = machine.beginShutdown()
        if pingAcked { _ = machine.pingAckedOrTimedOut(openStreams: 1) }
        #expect(machine.graceExpired() == .resetStreamsAndClose)
        #expect(machine.streamClosed(openStreams: 0) == .none)
    }
}
