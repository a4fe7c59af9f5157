@testable import AccordHTTP
import Logging
import NIOCore
import ServiceLifecycle
import Testing

@Suite struct HTTPServerShutdownTests {
    @Test func gracefulShutdownCompletesFiftyRequestsInFlight() async throws {
        let gate = Gate()
        let server = HTTPServer(router: try TestServer.router(gate: gate), logger: Logger(label: "accord.http.test"))
        let port = try await server.start().port ?? 0
        let target = try HTTPTarget(host: "127.0.0.1", port: port)
        let client = HTTPClient(target: target, configuration: .init(maxConnections: 50))
        // A keep-alive connection that is idle when the shutdown begins: it must be closed.
        let idle = try await RawConnection.connect(port: port)
        try await idle.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await idle.read { $0.hasSuffix("}") }.hasPrefix("HTTP/1.1 200 OK"))

        let exchanges = Task {
            await withTaskGroup(of: HTTPClientExchange.self) { group in
                let request = HTTPClientRequest(path: "/gate", authority: target.authority)
                for _ in 0..<50 {
                    group.addTask { await client.execute(request) }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(await eventually { await gate.arrived == 50 })

        let shutdown = Task { await server.shutdown(grace: .seconds(20)) }
        #expect(await eventually { idle.closedByPeer })
        // No longer accepting: a new connection is refused.
        let refused = HTTPClient(target: target)
        let late = await refused.execute(HTTPClientRequest(path: "/hello", authority: target.authority))
        guard case .failure(let error) = late.result else {
            Issue.record("a connection was accepted during shutdown"); return
        }
        #expect(error.kind == .connectRefused)

        await gate.open()
        let results = await exchanges.value
        await shutdown.value
        let responses = results.compactMap { try? $0.result.get() }
        #expect(responses.count == 50)
        #expect(responses.allSatisfy { $0.status == 200 && $0.connectionClose })
        #expect(server.connectionCount == 0)
        await client.shutdown()
        await refused.shutdown()
        await idle.close()
    }

    @Test func runEndsOnGracefulShutdownOfItsServiceGroup() async throws {
        let server = HTTPServer(router: try TestServer.router(), logger: Logger(label: "accord.http.test"))
        let group = ServiceGroup(services: [server], logger: Logger(label: "accord.http.test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            #expect(await eventually { server.localAddress != nil })
            let port = server.localAddress?.port ?? 0
            let connection = try await RawConnection.connect(port: port)
            try await connection.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await connection.read { $0.hasSuffix("}") }.hasPrefix("HTTP/1.1 200 OK"))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            #expect(await eventually { connection.closedByPeer })
            await connection.close()
        }
    }
}
