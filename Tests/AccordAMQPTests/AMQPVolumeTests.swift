import AccordAMQP
import AccordTestSupport
import Testing

/// 100,000 messages through the broker with confirms and manual acks, checked against the broker's counts.
@Suite(.timeLimit(.minutes(3)))
struct AMQPVolumeTests {
    /// `rabbitmqctl list_queues name messages messages_unacknowledged` for `queue` (managed broker only).
    private func brokerCounts(_ queue: String, on broker: ManagedBroker) async throws -> (ready: Int, unacked: Int)? {
        let output = try await broker.rabbitmqctl(["list_queues", "name", "messages", "messages_unacknowledged"])
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.count == 3, fields[0] == queue, let ready = Int(fields[1]), let unacked = Int(fields[2]) {
                return (ready, unacked)
            }
        }
        return nil
    }

    @Test func aHundredThousandMessagesNoneLostNoneDuplicated() async throws {
        guard try TestBroker.available() else { return }
        let total = 100_000
        let shared = try await TestBroker.shared()
        let connection = try await TestBroker.connect()
        let queue = TestBroker.uniqueName("volume")
        try await connection.declareQueue(queue, durable: false)
        let tracker = MessageTracker()

        let outcomes = await AMQPTestTraffic.publish(total, to: queue, on: connection, tracker: tracker,
                                                     event: "volume", batch: 2000)
        #expect(outcomes.count == total && outcomes.allSatisfy { $0.1 == .ack })
        #expect(try await connection.inspectQueue(queue).messageCount == total)
        if let broker = shared.managed {
            let counts = try await brokerCounts(queue, on: broker)
            #expect(counts?.ready == total && counts?.unacked == 0)
        }

        let consumer = try await connection.consume(queue: queue, prefetch: 500)
        let (processed, stop) = try await AMQPTestTraffic.consume(from: consumer, tracker: tracker, event: "volume",
                                                                  stopAfter: total, timeout: .seconds(150))
        #expect(processed == total && stop.requeued == 0)

        let account = tracker.account(for: "volume")
        #expect(account.published == total && account.confirmed == total && account.unconfirmed == 0)
        #expect(account.consumed == total)
        #expect(account.lost == 0 && account.duplicated == 0 && account.redelivered == 0)
        #expect(account.publishToConfirmMicros.totalCount == UInt64(total))
        #expect(account.publishToConsumeMicros.totalCount == UInt64(total))
        #expect(try await connection.inspectQueue(queue).messageCount == 0)
        if let broker = shared.managed {
            let counts = try await brokerCounts(queue, on: broker)
            #expect(counts?.ready == 0 && counts?.unacked == 0)
        }
        try await connection.deleteQueue(queue)
        await connection.close()
    }
}
