import AccordGRPC
import NIOCore
import NIOPosix
import Testing

/// The accord gRPC client over several endpoints (a service's replicas).
@Suite struct GRPCClientTests {
    /// A server whose Say answers with the `:authority` its calls arrived with.
    static func authorityEcho() -> GRPCServer {
        GRPCServer(handlers: [
            EchoService.prefix + "Say": .unary { head, _ in EchoMessage(text: head.authority ?? "none").encoded }
        ])
    }

    static func authorities(_ results: [GRPCCallResult]) -> Set<String> {
        Set(results.compactMap { $0.messages.first.flatMap(EchoMessage.init)?.text })
    }

    @Test func eachReplicaIsNamedAsItselfInAuthority() async throws {
        let first = Self.authorityEcho(), second = Self.authorityEcho()
        let ports = [try await first.start(), try await second.start()]
        let endpoints = ports.map { GRPCClient.Endpoint(host: "127.0.0.1", port: $0) }
        let client = GRPCClient(configuration: .init(endpoints: endpoints, connections: 2))
        var results: [GRPCCallResult] = []
        for _ in 0..<4 { results.append(await client.unary(path: EchoService.prefix + "Say", request: ByteBuffer())) }
        #expect(results.allSatisfy { $0.status == .ok })
        #expect(Self.authorities(results) == Set(endpoints.map(\.description)))
        await client.close()
        await first.shutdown(grace: .seconds(1))
        await second.shutdown(grace: .seconds(1))
    }

    /// The load generator's path: headers prepared once, calls started on the connections' loop.
    @Test func preparedMethodsNameEachReplicaToo() async throws {
        let first = Self.authorityEcho(), second = Self.authorityEcho()
        let ports = [try await first.start(), try await second.start()]
        let endpoints = ports.map { GRPCClient.Endpoint(host: "127.0.0.1", port: $0) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let client = GRPCClient(configuration: .init(endpoints: endpoints, connections: 2), group: loop)
        try await client.connectAll()
        let method = client.prepare(path: EchoService.prefix + "Say", timeout: .seconds(5))
        let request = GRPCFramedMessage(ByteBuffer())
        let results = try await loop.flatSubmit { () -> EventLoopFuture<[GRPCCallResult]> in
            let futures = (0..<4).map { _ in
                let promise = loop.makePromise(of: GRPCCallResult.self)
                client.startUnary(method, request: request, on: loop) { promise.succeed($0) }
                return promise.futureResult
            }
            return EventLoopFuture.whenAllSucceed(futures, on: loop)
        }.get()
        #expect(results.allSatisfy { $0.status == .ok })
        #expect(Self.authorities(results) == Set(endpoints.map(\.description)))
        await client.close()
        await first.shutdown(grace: .seconds(1))
        await second.shutdown(grace: .seconds(1))
    }
}
