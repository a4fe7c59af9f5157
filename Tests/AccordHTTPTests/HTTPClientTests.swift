@testable import AccordHTTP
import AccordTestSupport
import NIOCore
import NIOPosix
import Testing

/// The pool on NIO's loops (a channel per connection) and on Accord's own `SocketEventLoop`
/// (plain sockets, the load engine's path): every test runs on both.
enum PoolLoop: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case nio, socket

    private static let socketLoop = SocketEventLoop(name: "test-socket")

    var eventLoop: EventLoop { self == .nio ? MultiThreadedEventLoopGroup.singleton.next() : Self.socketLoop }
    var testDescription: String { rawValue }
}

@Suite struct HTTPClientTests {
    @Test(arguments: PoolLoop.allCases)
    func reusesKeepAliveConnectionsAndStampsEachStep(loop kind: PoolLoop) async throws {
        try await TestServer.with { _, port in
            let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: port), eventLoop: kind.eventLoop)
            let request = HTTPClientRequest(path: "/orders/9", authority: client.target.authority)
            for _ in 0..<10 {
                let exchange = await client.execute(request)
                let response = try exchange.result.get()
                #expect(response.status == 200)
                #expect(response.bodyText.contains(#""order_id":"9""#))
                let t = exchange.timestamps
                #expect(t.intendedStart <= t.written && t.written <= t.firstByte && t.firstByte <= t.complete)
                #expect(t.intendedStart > 0)
            }
            #expect(await client.eventCounts()[.connected] == 1)
            await client.shutdown()
        }
    }

    @Test(arguments: PoolLoop.allCases)
    func reportsConnectionCloseAndReconnects(loop kind: PoolLoop) async throws {
        try await TestServer.with { _, port in
            let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: port), eventLoop: kind.eventLoop)
            let closing = HTTPClientRequest(path: "/hello", authority: client.target.authority,
                                            headers: [("Connection", "close")])
            #expect(try await client.execute(closing).result.get().connectionClose)
            #expect(try await client.execute(closing).result.get().status == 200)
            let counts = await client.eventCounts()
            #expect(counts[.connectionCloseSeen] == 2)
            #expect(counts[.connected] == 2)
            #expect(counts[.closedByPeerAfterResponse] == 0)
            await client.shutdown()
        }
    }

    @Test(arguments: PoolLoop.allCases)
    func reportsRefusedConnections(loop kind: PoolLoop) async throws {
        let client = HTTPClient(
            target: try HTTPTarget(host: "127.0.0.1", port: FreePort.next()), eventLoop: kind.eventLoop)
        let exchange = await client.execute(HTTPClientRequest(path: "/", authority: client.target.authority))
        guard case .failure(let error) = exchange.result else { Issue.record("connected to a closed port"); return }
        #expect(error.kind == .connectRefused)
        #expect(await client.eventCounts()[.connectRefused] == 1)
        await client.shutdown()
    }

    @Test(arguments: PoolLoop.allCases)
    func timesOutSlowResponses(loop kind: PoolLoop) async throws {
        let gate = Gate()
        try await TestServer.with(gate: gate) { _, port in
            let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: port),
                                    configuration: .init(requestTimeout: .milliseconds(100)), eventLoop: kind.eventLoop)
            let exchange = await client.execute(HTTPClientRequest(path: "/gate", authority: client.target.authority))
            guard case .failure(let error) = exchange.result else { Issue.record("no timeout"); return }
            #expect(error.kind == .timeout)
            #expect(await client.eventCounts()[.timedOut] == 1)
            await client.shutdown()
        }
    }

    @Test(arguments: PoolLoop.allCases, [
        (ScriptedPeer.Script.closeAtOnce, HTTPClientError.Kind.resetBeforeResponse,
         HTTPConnectionEvent.Kind.resetBeforeResponse),
        (.closeMidResponse, .resetDuringResponse, .resetDuringResponse),
    ])
    func reportsConnectionsLostInFlight(
        loop kind: PoolLoop, _ expected: (ScriptedPeer.Script, HTTPClientError.Kind, HTTPConnectionEvent.Kind)
    ) async throws {
        let (script, error, event) = expected
        let peer = try await ScriptedPeer(script)
        let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: peer.port), eventLoop: kind.eventLoop)
        let exchange = await client.execute(HTTPClientRequest(path: "/", authority: client.target.authority))
        guard case .failure(let failure) = exchange.result else { Issue.record("expected a failure"); return }
        #expect(failure.kind == error)
        #expect(await client.eventCounts()[event] == 1)
        await client.shutdown()
        await peer.stop()
    }

    @Test(arguments: PoolLoop.allCases)
    func reportsAPeerClosingAnIdleConnection(loop kind: PoolLoop) async throws {
        let peer = try await ScriptedPeer(.answerThenClose)
        let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: peer.port), eventLoop: kind.eventLoop)
        let exchange = await client.execute(HTTPClientRequest(path: "/", authority: client.target.authority))
        #expect(try exchange.result.get().bodyText == "ok")
        #expect(await eventually { await client.eventCounts()[.closedByPeerAfterResponse] == 1 })
        // The next request opens a new connection.
        #expect(try await client.execute(HTTPClientRequest(path: "/", authority: client.target.authority))
            .result.get().status == 200)
        #expect(await client.eventCounts()[.connected] == 2)
        await client.shutdown()
        await peer.stop()
    }

    /// The load path: completions and connection events on the pool's event loop, no futures.
    @Test(arguments: PoolLoop.allCases)
    func deliversCompletionsAndEventsOnTheLoop(loop kind: PoolLoop) async throws {
        final class Recorder {
            var numbers: [Int] = []
            var events: [HTTPConnectionEvent.Kind] = []
        }
        try await TestServer.with { _, port in
            let target = try HTTPTarget(host: "127.0.0.1", port: port)
            let loop = kind.eventLoop
            let request = HTTPClientRequest(path: "/hello", authority: target.authority)
            let pool = try await loop.submit {
                let pool = HTTPConnectionPool(target: target, eventLoop: loop, configuration: .init(maxConnections: 2))
                let recorder = Recorder()
                pool.onEvent = { event in
                    loop.preconditionInEventLoop()
                    recorder.events.append(event.kind)
                }
                for number in 0..<20 {
                    pool.execute(request, intendedStart: HTTPClock.now()) { exchange in
                        loop.preconditionInEventLoop()
                        if case .success(let response) = exchange.result, response.status == 200 {
                            recorder.numbers.append(number)
                        }
                    }
                }
                return NIOLoopBound((pool, recorder), eventLoop: loop)
            }.get()
            #expect(try await eventually { try await loop.submit { pool.value.1.numbers.count == 20 }.get() })
            let (numbers, events) = try await loop.submit { (pool.value.1.numbers, pool.value.1.events) }.get()
            #expect(numbers.sorted() == Array(0..<20))
            #expect(events == [.connected, .connected])
            try await loop.flatSubmit { pool.value.0.close() }.get()
        }
    }

    /// A 3 MiB body each way: the echo comes back in many reads (the socket loop's are 8 KiB).
    /// Writes the socket takes only in parts: HTTPClientInteropTests, against a slow reader.
    @Test(arguments: PoolLoop.allCases)
    func sendsAndReceivesBodiesLargerThanOneRead(loop kind: PoolLoop) async throws {
        let text = String(repeating: "0123456789abcdef", count: 3 << 16)  // 3 MiB
        try await TestServer.with(configuration: .init(maxBodyBytes: 8 << 20)) { _, port in
            let client = HTTPClient(target: try HTTPTarget(host: "127.0.0.1", port: port), eventLoop: kind.eventLoop)
            let body = ByteBuffer(string: #"{"text":"\#(text)"}"#)
            let request = HTTPClientRequest(
                method: .POST, path: "/orders", authority: client.target.authority,
                headers: [("Content-Type", "application/json")], body: body)
            let response = try await client.execute(request).result.get()
            #expect(response.status == 201)
            #expect(response.body.readableBytes > text.utf8.count)
            #expect(response.bodyText.contains(text))
            await client.shutdown()
        }
    }
}
