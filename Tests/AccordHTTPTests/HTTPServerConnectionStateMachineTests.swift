@testable import AccordHTTP
import NIOCore
import NIOHTTP1
import Testing

@Suite struct HTTPServerConnectionStateMachineTests {
    typealias Machine = HTTPServerConnectionStateMachine

    static func head(
        _ method: HTTPMethod = .GET, _ uri: String = "/", version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:]
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: uri, headers: headers)
    }

    @Test func servesRequestsOneAfterAnotherOnAKeepAliveConnection() {
        var machine = Machine(maxBodyBytes: 100)
        for uri in ["/a", "/b"] {
            #expect(machine.readsAllowed)
            #expect(machine.receive(.head(Self.head(.GET, uri))) == .none)
            #expect(machine.receive(.end) == .dispatch(Self.head(.GET, uri), ByteBuffer()))
            #expect(!machine.readsAllowed)
            #expect(machine.responseReady() == .init(version: .http1_1, close: false, omitBody: false))
            #expect(machine.nextPendingInput() == nil)
        }
    }

    @Test func queuesPipelinedRequestsUntilTheResponseIsOut() {
        var machine = Machine(maxBodyBytes: 100)
        let post = Self.head(.POST, "/b", headers: ["content-length": "2"])
        _ = machine.receive(.head(Self.head(.GET, "/a")))
        #expect(machine.receive(.end) == .dispatch(Self.head(.GET, "/a"), ByteBuffer()))
        // The second request arrives while the first is processed: queued, not dispatched.
        #expect(machine.receive(.head(post)) == .none)
        #expect(machine.receive(.body(ByteBuffer(string: "hi"))) == .none)
        #expect(machine.receive(.end) == .none)
        #expect(!machine.readsAllowed)
        #expect(machine.responseReady()?.close == false)
        var actions: [Machine.Action] = []
        while let input = machine.nextPendingInput() { actions.append(machine.receive(input)) }
        #expect(actions == [.none, .none, .dispatch(post, ByteBuffer(string: "hi"))])
    }

    @Test func rejectsBodiesOverTheLimit() {
        var byLength = Machine(maxBodyBytes: 4)
        let declared = Self.head(.POST, headers: ["content-length": "5"])
        #expect(byLength.receive(.head(declared)) == .reject(.init(
            status: .payloadTooLarge, message: "request body larger than 4 bytes"), version: .http1_1))
        #expect(byLength.receive(.body(ByteBuffer(string: "12345"))) == .none)

        var chunked = Machine(maxBodyBytes: 4)
        #expect(chunked.receive(.head(Self.head(.POST, headers: ["transfer-encoding": "chunked"]))) == .none)
        #expect(chunked.receive(.body(ByteBuffer(string: "123"))) == .none)
        guard case .reject(let rejection, _) = chunked.receive(.body(ByteBuffer(string: "45"))) else {
            Issue.record("expected a rejection"); return
        }
        #expect(rejection.status == .payloadTooLarge)
    }

    @Test func rejectsAnInvalidContentLength() {
        var machine = Machine(maxBodyBytes: 4)
        guard case .reject(let rejection, _) = machine.receive(.head(Self.head(headers: ["content-length": "x"])))
        else { Issue.record("expected a rejection"); return }
        #expect(rejection.status == .badRequest)
    }

    @Test func answersExpectContinue() {
        var machine = Machine(maxBodyBytes: 10)
        let head = Self.head(.POST, headers: ["content-length": "3", "expect": "100-continue"])
        #expect(machine.receive(.head(head)) == .sendContinue)
    }

    @Test func malformedInputIsRejectedAndTheRestDropped() {
        var machine = Machine(maxBodyBytes: 10)
        let rejection = Machine.Rejection(status: .requestHeaderFieldsTooLarge, message: "too large")
        #expect(machine.receive(.malformed(rejection)) == .reject(rejection, version: .http1_1))
        #expect(machine.receive(.head(Self.head())) == .none)
        #expect(machine.responseReady() == nil)
        // Still reading, to drain the peer before closing.
        #expect(machine.readsAllowed)
    }

    @Test func malformedInputBehindARunningRequestWaitsForItsResponse() {
        var machine = Machine(maxBodyBytes: 10)
        _ = machine.receive(.head(Self.head()))
        _ = machine.receive(.end)
        let rejection = Machine.Rejection(status: .badRequest, message: "bad")
        #expect(machine.receive(.malformed(rejection)) == .none)
        #expect(machine.responseReady()?.close == false)
        #expect(machine.nextPendingInput().map { machine.receive($0) } == .reject(rejection, version: .http1_1))
    }

    @Test func shutdownClosesIdleConnectionsAtOnce() {
        var machine = Machine(maxBodyBytes: 10)
        #expect(machine.shutdown() == .close)
    }

    @Test(arguments: [false, true])
    func shutdownFinishesTheRequestInFlightAndAnswersWithClose(bodyStillArriving: Bool) {
        var machine = Machine(maxBodyBytes: 10)
        let head = Self.head(.POST, headers: ["content-length": "2"])
        _ = machine.receive(.head(head))
        if bodyStillArriving {
            #expect(machine.shutdown() == .none)
            _ = machine.receive(.body(ByteBuffer(string: "ok")))
            #expect(machine.receive(.end) == .dispatch(head, ByteBuffer(string: "ok")))
        } else {
            _ = machine.receive(.body(ByteBuffer(string: "ok")))
            _ = machine.receive(.end)
            #expect(machine.shutdown() == .none)
        }
        #expect(machine.responseReady() == .init(version: .http1_1, close: true, omitBody: false))
        #expect(machine.nextPendingInput() == nil)
    }

    @Test func http10WithoutKeepAliveCloses() {
        var machine = Machine(maxBodyBytes: 10)
        _ = machine.receive(.head(Self.head(version: .http1_0)))
        _ = machine.receive(.end)
        #expect(machine.responseReady() == .init(version: .http1_0, close: true, omitBody: false))
    }

    @Test func headGetsHeadersOnly() {
        var machine = Machine(maxBodyBytes: 10)
        _ = machine.receive(.head(Self.head(.HEAD)))
        _ = machine.receive(.end)
        #expect(machine.responseReady()?.omitBody == true)
    }

    @Test func idleTimeoutClosesIdleConnectionsAndTimesOutStalledRequests() {
        var idle = Machine(maxBodyBytes: 10)
        #expect(idle.idleTimeout() == .close)

        var stalled = Machine(maxBodyBytes: 10)
        _ = stalled.receive(.head(Self.head(.POST, headers: ["content-length": "5"])))
        guard case .reject(let rejection, _) = stalled.idleTimeout() else { Issue.record("expected 408"); return }
        #expect(rejection.status == .requestTimeout)

        var busy = Machine(maxBodyBytes: 10)
        _ = busy.receive(.head(Self.head()))
        _ = busy.receive(.end)
        #expect(busy.idleTimeout() == .none)
    }

    @Test func aClosedConnectionDropsTheLateResponse() {
        var machine = Machine(maxBodyBytes: 10)
        _ = machine.receive(.head(Self.head()))
        _ = machine.receive(.end)
        machine.closed()
        #expect(machine.responseReady() == nil)
        #expect(!machine.readsAllowed)
    }
}

extension HTTPServerConnectionStateMachine.Input: Equatable {
    public static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.head(let x), .head(let y)): x == y
        case (.body(let x), .body(let y)): x == y
        case (.end, .end): true
        case (.malformed(let x), .malformed(let y)): x == y
        default: false
        }
    }
}
