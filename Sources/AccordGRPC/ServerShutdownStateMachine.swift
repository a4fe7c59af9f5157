/// The graceful-shutdown steps of one server connection, as a value without I/O.
///
/// The two-GOAWAY dance: a first GOAWAY with last-stream-id 2^31-1 tells the client to
/// open no more streams while streams already in flight toward us still get served; a
/// PING round trip (or a timeout) later, the final GOAWAY names the real last stream, so no
/// stream can cross a single GOAWAY and be dropped unseen. In-flight streams then finish
/// within the grace period; whatever remains after it is reset.
struct ServerShutdownStateMachine {
    enum State: Equatable {
        case active
        /// First GOAWAY and a PING sent; waiting for the PING ack.
        case draining
        /// Final GOAWAY sent; waiting for open streams to finish.
        case finalGoawaySent
        case closed
    }

    enum Action: Equatable {
        case none
        case sendShutdownNoticeAndPing
        case sendFinalGoaway
        case close
        case resetStreamsAndClose
    }

    private(set) var state: State = .active

    var isShuttingDown: Bool { state != .active }

    mutating func beginShutdown() -> Action {
        guard state == .active else { return .none }
        state = .draining
        return .sendShutdownNoticeAndPing
    }

    /// The PING ack arrived, or the wait for it timed out.
    mutating func pingAckedOrTimedOut(openStreams: Int) -> [Action] {
        guard state == .draining else { return [] }
        guard openStreams > 0 else {
            state = .closed
            return [.sendFinalGoaway, .close]
        }
        state = .finalGoawaySent
        return [.sendFinalGoaway]
    }

    mutating func streamClosed(openStreams: Int) -> Action {
        guard state == .finalGoawaySent, openStreams == 0 else { return .none }
        state = .closed
        return .close
    }

    mutating func graceExpired() -> Action {
        switch state {
        case .active, .closed: return .none
        case .draining, .finalGoawaySent:
            state = .closed
            return .resetStreamsAndClose
        }
    }

    mutating func connectionClosed() {
        state = .closed
    }
}
