import AccordGRPC
import AccordHTTP
import AccordLoad
import AccordTestSupport
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The connection hooks of both transports feeding the log, against real servers on loopback.
@Suite struct ConnectionEventLogTests {
    @Test func aDrainingGRPCServerShowsTwoGoawaysAroundItsLastStreamAndNoRace() async throws {
        let entered = Mutex(false), released = Mutex(false)
        let server = GRPCServer(handlers: [
            "/t.Slow/Call": .unary { _, request in
                entered.withLock { $0 = true }
                try await waitUntil("the test releases the call", timeout: .seconds(20)) { released.withLock { $0 } }
                return request
            }
        ])
        let port = try await server.start()
        let log = ConnectionEventLog()
        log.arm(at: 0)
        let client = GRPCClient(configuration: .init(port: port), onEvent: log.grpcObserver(interaction: "Slow"))
        try await client.connectAll()
        async let call = client.unary(path: "/t.Slow/Call", request: ByteBuffer(bytes: [8, 1]))
        try await waitUntil("the call reaches its handler", timeout: .seconds(10)) { entered.withLock { $0 } }
        async let shutdown: Void = server.shutdown(grace: .seconds(20))
        // The call stays open until both GOAWAYs are in: the drain, whatever the machine's speed.
        var drained: (any Error)?
        do {
            try await waitUntil("the second GOAWAY", timeout: .seconds(10)) {
                (log.histories.first?.goaways ?? 0) >= 2
            }
        } catch {
            drained = error
        }
        released.withLock { $0 = true }
        // The call in flight at the GOAWAY still completes: a drain, not a race.
        #expect(await call.status.code == .ok)
        await shutdown
        if let drained { throw drained }
        try await waitUntil("the connection closes", timeout: .seconds(10)) { log.histories.first?.closedAt != nil }
        await client.close()

        let history = try #require(log.histories.first)
        #expect(log.histories.count == 1)
        #expect(history.key.description == "Slow #1.0")
        #expect(history.address == "127.0.0.1:\(port)")
        #expect(history.goaways == 2)
        #expect(history.firstGoaway?.lastStreamID == .max && history.firstGoaway?.code == .noError)
        #expect(history.lastGoaway?.lastStreamID == 1, "the call's stream was the last one accepted")
        #expect(!history.race.happened)
        #expect(history.closeDetail == "closed after the GOAWAY, no stream open")
    }

    @Test func anHTTPResponseSayingConnectionCloseIsKeptOnceTheLogIsArmed() async throws {
        var router = HTTPRouter()
        try router.add(.GET, "/page") { _ in .json(["ok": true]) }
        let server = HTTPServer(router: router, logger: Logger(label: "accord.test.http"))
        let target = try HTTPTarget(host: "127.0.0.1", port: try await server.start().port ?? 0)
        let log = ConnectionEventLog()
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let pool = try await loop.submit {
            let pool = HTTPConnectionPool(target: target, eventLoop: loop)
            pool.onEvent = log.httpObserver(interaction: "Page")
            return NIOLoopBound(pool, eventLoop: loop)
        }.get()
        let request = HTTPClientRequest(path: "/page", authority: target.authority, headers: [("Connection", "close")])
        let send = { try await loop.flatSubmit { pool.value.execute(request) }.get() }

        #expect(try await send().result.get().connectionClose)
        #expect(log.histories.isEmpty, "before the first signal nothing is kept")
        log.arm(at: MonotonicTime.now())
        #expect(try await send().result.get().connectionClose)
        try await loop.flatSubmit { pool.value.close() }.get()
        await server.shutdown(grace: .seconds(1))

        let history = try #require(log.histories.first)
        #expect(log.histories.count == 1)
        #expect(history.key.description == "Page #1.2", "the second connection: the first closed before arming")
        #expect(history.address == target.authority)
        #expect(history.connectionCloses == 1 && history.firstConnectionClose == history.lastConnectionClose)
        #expect(history.firstConnectionClose != nil && history.goaways == 0)
    }
}
