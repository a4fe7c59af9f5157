import AccordAMQP
import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// SIGTERM while work is in flight, for each shutdown style: requests a gateway forwards to a
/// grpcio server that holds them, and messages a consumer holds.
@Suite(.ownVirtualHost) struct ServeShutdownTests {
    @Test func gracefulFinishesEveryRequestInFlightThenExitsZero() async throws {
        guard try ServeFixtures.peersAvailable() else { return }
        let system = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: system) }
        let (upstream, upstreamPort) = try await ServeFixtures.slowOrders(hold: 1.5)
        let gateway = try await ServeFixtures.serve(system.path, "gateway", ServeFixtures.ordersPeer(upstreamPort))
        let port = try #require(gateway.httpPort)
        let requests = try (0..<4).map { _ in try ServeFixtures.startCurl(ServeFixtures.postOrder(port: port)) }
        try await ServeFixtures.waitForCalls(4, at: upstream, requests: requests)

        gateway.process.signal(SIGTERM)
        let exit = try await gateway.process.wait(timeout: 20)
        #expect(exit.status == 0, "\(exit.stderr)")
        for request in requests {
            let response = try await ServeFixtures.response(of: request)
            // The upstream answers an empty CreateOrderResponse: proto3 JSON {}.
            #expect(response.status == 201 && response.body == [:], "\(response)")
        }
    }

    @Test func abruptExitsAtOnceAndRequestsInFlightFail() async throws {
        guard try ServeFixtures.peersAvailable() else { return }
        let system = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: system) }
        let (upstream, upstreamPort) = try await ServeFixtures.slowOrders(hold: 30)
        let gateway = try await ServeFixtures.serve(system.path, "abrupt-gateway",
                                                    ServeFixtures.ordersPeer(upstreamPort))
        let port = try #require(gateway.httpPort)
        let requests = try (0..<3).map { _ in try ServeFixtures.startCurl(ServeFixtures.postOrder(port: port)) }
        try await ServeFixtures.waitForCalls(3, at: upstream, requests: requests)

        gateway.process.signal(SIGTERM)
        // Well before the upstream would answer: the exit does not wait for anything.
        let exit = try await gateway.process.wait(timeout: 10)
        #expect(exit.status == 128 + SIGTERM)
        #expect(!exit.stderr.contains("shutting down"))
        for request in requests {
            let response = try await ServeFixtures.response(of: request)
            #expect(ServeFixtures.closedWithoutResponse(response), "\(response)")
        }
    }

    @Test func slowHoldsRequestsInFlightPastTheRunnersGrace() async throws {
        guard try ServeFixtures.peersAvailable() else { return }
        let system = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: system) }
        let (upstream, upstreamPort) = try await ServeFixtures.slowOrders(hold: 0.2)
        let gateway = try await ServeFixtures.serve(system.path, "slow-gateway",
                                                    ServeFixtures.ordersPeer(upstreamPort))
        let port = try #require(gateway.httpPort)
        let request = try ServeFixtures.startCurl(ServeFixtures.postOrder(port: port))
        try await ServeFixtures.waitForCalls(1, at: upstream)

        gateway.process.signal(SIGTERM)
        try await waitUntil("the drain to begin") { gateway.process.stderr.contains("shutting down") }
        // The upstream answered long ago; the gateway holds the answer, as a slow drain does, until
        // the runner's deadline kill ends it.
        try await Task.sleep(for: .seconds(2))
        #expect(gateway.process.isRunning && request.isRunning)
        gateway.process.signal(SIGKILL)
        let response = try await ServeFixtures.response(of: request)
        #expect(ServeFixtures.closedWithoutResponse(response), "\(response)")
    }

    @Test func gracefulAcksEveryMessageItHolds() async throws {
        guard try ServeFixtures.peersAvailable() else { return }
        let system = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: system) }
        let queue = "drain.notifier.held.graceful"
        let connection = try await Self.emptied(queue)
        let notifier = try await ServeFixtures.serve(system.path, "notifier",
                                                     ["--amqp-url", try await TestBroker.endpoint().url])
        try await Self.publish(3, to: "held.graceful", on: connection)
        try await waitUntil("3 messages in hand") { ServeFixtures.count("received", in: notifier.process.stderr) == 3 }

        notifier.process.signal(SIGTERM)
        let exit = try await notifier.process.wait(timeout: 20)
        #expect(exit.status == 0, "\(exit.stderr)")
        #expect(ServeFixtures.count("processed and acked", in: exit.stderr) == 3, "\(exit.stderr)")
        #expect(ServeFixtures.count("accord.stage=processed", in: exit.stderr) == 3, "\(exit.stderr)")
        for id in 0..<3 {
            #expect(exit.stderr.contains("accord.correlation_id=held-\(id) "))
            // The line a load run accounts by.
            #expect(exit.stderr.split(separator: "\n").contains {
                $0.contains("amqp.message_id=m-\(id) ") && $0.contains("accord.stage=processed")
            })
        }
        let info = try await connection.inspectQueue(queue)
        #expect(info.messageCount == 0 && info.consumerCount == 0, "\(info)")
        await connection.close()
    }

    @Test func abruptAcksOnReceiptAndLosesWhatItHeld() async throws {
        guard try ServeFixtures.peersAvailable() else { return }
        let system = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: system) }
        let queue = "drain.abrupt-notifier.held.abrupt"
        let connection = try await Self.emptied(queue)
        let notifier = try await ServeFixtures.serve(system.path, "abrupt-notifier",
                                                     ["--amqp-url", try await TestBroker.endpoint().url])
        try await Self.publish(2, to: "held.abrupt", on: connection)
        try await waitUntil("2 messages in hand") { ServeFixtures.count("received", in: notifier.process.stderr) == 2 }

        notifier.process.signal(SIGTERM)
        let exit = try await notifier.process.wait(timeout: 10)
        #expect(exit.status == 128 + SIGTERM)
        #expect(!exit.stderr.contains("processed"))
        for id in 0..<2 {
            #expect(exit.stderr.contains("accord.correlation_id=held-\(id) "))
        }
        #expect(ServeFixtures.count("accord.stage=received", in: exit.stderr) == 2, "\(exit.stderr)")
        // They were acked on receipt (at-most-once): once the broker has seen the connection go,
        // nothing comes back to the queue. The messages are lost.
        try await waitUntil("the broker to drop the consumer") {
            try await connection.inspectQueue(queue).consumerCount == 0
        }
        #expect(try await connection.inspectQueue(queue).messageCount == 0)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    /// A connection, and `queue` declared as the notifier declares it and emptied of any earlier run's messages.
    static func emptied(_ queue: String) async throws -> AMQPConnection {
        let connection = try await TestBroker.connect()
        try await connection.declareQueue(queue)
        try await connection.purgeQueue(queue)
        return connection
    }

    /// Publishes `count` empty OrderCreated messages (a valid protobuf body) with correlation ids held-0...
    /// and message ids m-0...
    static func publish(_ count: Int, to routingKey: String, on connection: AMQPConnection) async throws {
        for id in 0..<count {
            let message = AMQPMessage(body: [], properties: AMQPProperties(
                contentType: "application/x-protobuf", correlationID: "held-\(id)", messageID: "m-\(id)"))
            let outcome = await connection.publish(message, exchange: "drain.events", routingKey: routingKey)
            #expect(outcome == .ack)
        }
    }
}
