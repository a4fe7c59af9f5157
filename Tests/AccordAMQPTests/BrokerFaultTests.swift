import AccordAMQP
import AccordTestSupport
import Testing

/// A broker restarted, then killed, in the middle of publishing: on a broker of its own, since the
/// other tests share theirs.
@Suite(.timeLimit(.minutes(3)))
struct BrokerFaultTests {
    /// Publishes persistent messages from four tasks (so publishes are always on the wire and confirms
    /// outstanding) until the connection is gone (or, as a bound, each task has sent 100,000).
    private func publishing(to queue: String, on connection: AMQPConnection,
                            tracker: MessageTracker) -> Task<[PublishOutcome], Never> {
        Task {
            await withTaskGroup(of: [PublishOutcome].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        await AMQPTestTraffic.publish(100_000, to: queue, on: connection, tracker: tracker,
                                                      event: "e", persistent: true, batch: 250,
                                                      stopOnFailure: true).map(\.1)
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
        }
    }

    private func waitForConfirms(_ count: Int, in tracker: MessageTracker) async throws {
        for _ in 0..<600 {
            if tracker.account(for: "e").confirmed >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(tracker.account(for: "e").confirmed >= count, "publishing did not get going")
    }

    /// Makes the broker stop taking publishes (a memory alarm: it stops reading from publishers) so that,
    /// when it then goes away, messages are certainly on the wire without a confirm, however the
    /// publishers happened to be scheduled. The alarm does not survive the restart.
    private func stopConfirming(_ broker: ManagedBroker) async throws {
        _ = try await broker.rabbitmqctl(["set_vm_memory_high_watermark", "0"])
        try await Task.sleep(for: .milliseconds(500))
    }

    /// Drains the durable queue after the broker came back, recording every message.
    private func drain(_ queue: String, at endpoint: AMQPEndpoint, tracker: MessageTracker) async throws {
        let connection = try await AMQPConnection.connect(to: endpoint)
        let waiting = try await connection.inspectQueue(queue).messageCount
        let consumer = try await connection.consume(queue: queue, prefetch: 500)
        let (processed, _) = try await AMQPTestTraffic.consume(from: consumer, tracker: tracker, event: "e",
                                                               stopAfter: waiting)
        #expect(processed == waiting)
        #expect(try await connection.inspectQueue(queue).messageCount == 0)
        await connection.close()
    }

    private func check(_ outcomes: [PublishOutcome], _ tracker: MessageTracker, scenario: String) {
        let account = tracker.account(for: "e")
        let acks = outcomes.count { $0 == .ack }
        let unconfirmed = outcomes.filter {
            if case .unconfirmed(let error) = $0 { return error.isConnectionLevel }
            return false
        }
        #expect(account.confirmed == acks, "\(scenario): only broker acks count as confirmed")
        #expect(!unconfirmed.isEmpty && account.unconfirmed == unconfirmed.count,
                "\(scenario): messages in flight when the broker went are reported unconfirmed")
        #expect(account.lost == 0, "\(scenario): every confirmed (persistent) message survived")
        #expect(account.duplicated == 0, "\(scenario)")
        #expect(account.published + account.notSent == outcomes.count, "\(scenario): every message accounted for")
    }

    @Test func brokerRestartedThenKilledMidPublish() async throws {
        guard try ExternalTool.available("rabbitmq-server") else { return }
        let broker = try await ManagedBroker.start()
        let queue = TestBroker.uniqueName("fault")

        // A clean restart: RabbitMQ closes client connections (320 CONNECTION_FORCED) as it stops.
        let restartTracker = MessageTracker()
        var connection = try await AMQPConnection.connect(to: broker.endpoint)
        try await connection.declareQueue(queue, durable: true)
        var publisher = publishing(to: queue, on: connection, tracker: restartTracker)
        try await waitForConfirms(1000, in: restartTracker)
        try await stopConfirming(broker)
        try await broker.restart()
        var outcomes = await publisher.value
        try await drain(queue, at: broker.endpoint, tracker: restartTracker)
        check(outcomes, restartTracker, scenario: "restart")

        // A crash: SIGKILL, no goodbye; the socket just closes.
        let crashTracker = MessageTracker()
        connection = try await AMQPConnection.connect(to: broker.endpoint)
        publisher = publishing(to: queue, on: connection, tracker: crashTracker)
        try await waitForConfirms(1000, in: crashTracker)
        try await stopConfirming(broker)
        await broker.kill()
        outcomes = await publisher.value
        #expect(!broker.isRunning)
        let notSent = outcomes.compactMap { outcome -> AMQPError? in
            if case .notSent(let error) = outcome { return error }
            return nil
        }
        #expect(notSent.allSatisfy { $0.isConnectionLevel }, "later publishes fail fast with the connection's error")
        try await broker.restart()
        try await drain(queue, at: broker.endpoint, tracker: crashTracker)
        check(outcomes, crashTracker, scenario: "kill")
        await broker.stop()
    }
}
