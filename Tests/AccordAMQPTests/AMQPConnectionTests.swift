import AccordAMQP
import AccordTestSupport
import Testing

/// AMQPConnection against the real broker the suite shares.
@Suite(.timeLimit(.minutes(2)))
struct AMQPConnectionTests {
    static let allTypes: AMQPTable = [
        "string": .string("héllo"), "bool": .bool(true), "int8": .int8(-8), "uint8": .uint8(8),
        "int16": .int16(-16), "uint16": .uint16(16), "int32": .int32(-32), "uint32": .uint32(32),
        "int64": .int64(Int64.min), "float": .float(1.5), "double": .double(-2.25),
        "decimal": .decimal(scale: 2, value: 1234), "bytes": .bytes([0, 1, 254, 255]),
        "timestamp": .timestamp(1_700_000_000), "void": .void,
        "table": .table(["inner": .array([.int32(1), .string("two"), .table(["deep": .bool(false)])])]),
    ]

    /// Receives the next delivery (the suite's time limit bounds the wait).
    private func next(_ consumer: AMQPConsumer) async throws -> AMQPDelivery {
        var iterator = consumer.deliveries.makeAsyncIterator()
        return try #require(try await iterator.next())
    }

    @Test func propertiesAndHeadersOfEveryTypeRoundTrip() async throws {
        guard try TestBroker.available() else { return }
        let connection = try await TestBroker.connect()
        let exchange = TestBroker.uniqueName("topic"), queue = TestBroker.uniqueName("routed")
        try await connection.declareExchange(exchange, type: .topic, durable: false, autoDelete: true)
        try await connection.declareQueue(queue, durable: false, exclusive: true)
        try await connection.bindQueue(queue, to: exchange, routingKey: "order.*")

        let properties = AMQPProperties(contentType: "application/json", contentEncoding: "identity",
                                        deliveryMode: .persistent, priority: 5, correlationID: "corr-1",
                                        replyTo: "replies", expiration: "60000", messageID: "msg-1",
                                        timestamp: 1_700_000_123, type: "order.created", userID: "guest",
                                        appID: "accord-tests", headers: Self.allTypes)
        let message = AMQPMessage(#"{"order_id":"o-1"}"#, properties: properties)
        let consumer = try await connection.consume(queue: queue, prefetch: 10)
        #expect(await connection.publish(message, exchange: exchange, routingKey: "order.created") == .ack)
        let unrouted = await connection.publish(message, exchange: exchange, routingKey: "payment.done")
        #expect(unrouted == .ack, "an unroutable message is confirmed (and dropped) without mandatory")

        let delivery = try await next(consumer)
        #expect(delivery.message == message)
        #expect(delivery.exchange == exchange && delivery.routingKey == "order.created" && !delivery.redelivered)
        try delivery.ack()
        await consumer.stop()
        #expect(try await connection.inspectQueue(queue).messageCount == 0)
        await connection.close()
    }

    @Test func bodiesLargerThanAFrameAreSplitAndReassembled() async throws {
        guard try TestBroker.available() else { return }
        let (connection, queue) = try await TestBroker.connectWithQueue("large")
        let body = (0..<1_048_576).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(connection.frameMax < body.count)
        let consumer = try await connection.consume(queue: queue)
        #expect(await connection.publish(AMQPMessage(body: body), routingKey: queue) == .ack)
        let delivery = try await next(consumer)
        #expect(delivery.body == body)
        try delivery.ack()
        await consumer.stop()
        await connection.close()
    }

    @Test func aHeaderOverTheFrameMaxIsATypedErrorAndTheConnectionGoesOn() async throws {
        guard try TestBroker.available() else { return }
        let (connection, queue) = try await TestBroker.connectWithQueue("frame")
        let huge = AMQPMessage("x", properties: AMQPProperties(headers: [
            "blob": .string(String(repeating: "h", count: connection.frameMax)),
        ]))
        guard case .notSent(let error) = await connection.publish(huge, routingKey: queue) else {
            Issue.record("a header larger than the frame must not be sent")
            return
        }
        #expect(error.kind == .frameTooLarge)
        let outcomes = await connection.publish(contentsOf: [AMQPMessage("ok"), huge, AMQPMessage("ok")],
                                                routingKey: queue)
        #expect(outcomes.count == 3 && outcomes[0] == .ack && outcomes[2] == .ack)
        #expect(try await connection.inspectQueue(queue).messageCount == 2)
        await connection.close()
    }

    @Test func nackWithRequeueRedelivers() async throws {
        guard try TestBroker.available() else { return }
        let (connection, queue) = try await TestBroker.connectWithQueue("nack")
        let consumer = try await connection.consume(queue: queue, prefetch: 1)
        #expect(await connection.publish(AMQPMessage("again"), routingKey: queue) == .ack)
        var iterator = consumer.deliveries.makeAsyncIterator()
        let first = try #require(try await iterator.next())
        #expect(!first.redelivered)
        try first.nack(requeue: true)
        let second = try #require(try await iterator.next())
        #expect(second.redelivered && second.body == first.body)
        try second.ack()
        await consumer.stop()
        #expect(try await connection.inspectQueue(queue).messageCount == 0)
        await connection.close()
    }

    @Test func theBrokerNacksWhatAFullQueueRejects() async throws {
        guard try TestBroker.available() else { return }
        let connection = try await TestBroker.connect()
        let queue = TestBroker.uniqueName("full")
        try await connection.declareQueue(queue, durable: false, exclusive: true, arguments: [
            "x-max-length": .int32(5), "x-overflow": .string("reject-publish"),
        ])
        let outcomes = await connection.publish(contentsOf: (0..<10).map { AMQPMessage("m\($0)") }, routingKey: queue)
        #expect(outcomes == Array(repeating: .ack, count: 5) + Array(repeating: .nack, count: 5))
        #expect(try await connection.inspectQueue(queue).messageCount == 5)
        await connection.close()
    }

    @Test func aMissingQueueIsA404AndTheConnectionGoesOn() async throws {
        guard try TestBroker.available() else { return }
        let connection = try await TestBroker.connect()
        let missing = TestBroker.uniqueName("missing")
        await #expect { try await connection.consume(queue: missing) } throws: { error in
            let error = error as? AMQPError
            return error?.kind == .channelClosed && error?.replyCode == 404 && error?.text.contains(missing) == true
        }
        await #expect { try await connection.inspectQueue(missing) } throws: { error in
            (error as? AMQPError)?.replyCode == 404
        }
        // Both failures closed a channel, not the connection: declaring and publishing still work.
        let queue = TestBroker.uniqueName("after404")
        try await connection.declareQueue(queue, durable: false, exclusive: true)
        #expect(await connection.publish(AMQPMessage("fine"), routingKey: queue) == .ack)
        await connection.close()
    }

    @Test func aMissingExchangeLeavesThePublishUnconfirmedAndTheNextOneWorks() async throws {
        guard try TestBroker.available() else { return }
        let connection = try await TestBroker.connect()
        let outcome = await connection.publish(AMQPMessage("lost"), exchange: TestBroker.uniqueName("noexchange"),
                                               routingKey: "k")
        guard case .unconfirmed(let error) = outcome else {
            Issue.record("expected unconfirmed, got \(outcome)")
            return
        }
        #expect(error.kind == .channelClosed && error.replyCode == 404)
        let queue = TestBroker.uniqueName("afterexchange")
        try await connection.declareQueue(queue, durable: false, exclusive: true)
        #expect(await connection.publish(AMQPMessage("fine"), routingKey: queue) == .ack)
        await connection.close()
    }

    @Test func wrongCredentialsAreRefused() async throws {
        guard try TestBroker.available() else { return }
        var endpoint = try await TestBroker.endpoint()
        endpoint.password = "not-the-password"
        await #expect { try await AMQPConnection.connect(to: endpoint) } throws: { error in
            let error = error as? AMQPError
            return error?.kind == .authenticationFailed && error?.replyCode == 403
        }
    }

    @Test func anUnreachableBrokerIsReportedAsSuch() async throws {
        var configuration = AMQPConnectionConfiguration(endpoint: AMQPEndpoint(port: FreePort.next()))
        configuration.connectTimeout = .seconds(2)
        await #expect { try await AMQPConnection.connect(configuration) } throws: { error in
            let error = error as? AMQPError
            return error?.kind == .unreachable && error?.operation.contains("\(configuration.endpoint.port)") == true
        }
    }

    /// A "broker" that accepts TCP and never answers holds the handshake for the whole RPC
    /// timeout; cancelling the connecting task must not wait for it (a run that is finishing,
    /// or interrupted, would hang on a reconnect attempt).
    @Test func cancellingAConnectEndsItsWaitAtOnce() async throws {
        let listener = try SilentListener()
        var configuration = AMQPConnectionConfiguration(endpoint: AMQPEndpoint(port: listener.port))
        configuration.rpcTimeout = .seconds(60)
        let attempt = Task { try await AMQPConnection.connect(configuration) }
        try await Task.sleep(for: .milliseconds(300))
        let cancelled = ContinuousClock.now
        attempt.cancel()
        await #expect(throws: CancellationError.self) { try await attempt.value }
        #expect(ContinuousClock.now - cancelled < .seconds(10), "the wait outlived its cancellation")
    }

    @Test func aClosedConnectionRefusesWork() async throws {
        guard try TestBroker.available() else { return }
        let connection = try await TestBroker.connect()
        await connection.close()
        guard case .notSent(let error) = await connection.publish(AMQPMessage("late"), routingKey: "q") else {
            Issue.record("publishing on a closed connection must fail")
            return
        }
        #expect(error.kind == .closed)
        await #expect { try await connection.declareQueue("late") } throws: { ($0 as? AMQPError)?.kind == .closed }
    }
}
