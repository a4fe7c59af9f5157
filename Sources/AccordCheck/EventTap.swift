import AccordAMQP
import AccordContracts
import AccordSystem
import Synchronization

/// Sees every event a system publishes: one exclusive queue per event, bound to its exchange
/// with its routing key, consumed and acked as messages arrive.
final class EventTap: Sendable {
    struct Seen: Sendable {
        let event: ContractEvent
        let message: AMQPMessage
    }

    private let connection: AMQPConnection
    private let seen = Mutex<[Seen]>([])
    private let running = Mutex<[(consumer: AMQPConsumer, reader: Task<Void, Never>)]>([])

    private init(connection: AMQPConnection) {
        self.connection = connection
    }

    /// Declares each event's exchange as the contract gives it (so a tap can bind before the
    /// first publish) and starts a consumer per event.
    static func start(events: [ContractEvent], system: String, url: String) async throws -> EventTap {
        let tap = EventTap(connection: try await AMQPConnection.connect(to: try AMQPEndpoint(url: url)))
        do {
            for event in events { try await tap.watch(event, system: system) }
        } catch {
            await tap.connection.close(timeout: .seconds(2))
            throw error
        }
        return tap
    }

    private func watch(_ event: ContractEvent, system: String) async throws {
        let queue = "accord.tap.\(system).\(event.name).\(UInt32.random(in: 0...UInt32.max))"
        try await connection.declareExchange(event.amqp.exchange, type: AMQPExchangeType(event.amqp.exchangeType))
        try await connection.declareQueue(queue, durable: false, exclusive: true, autoDelete: true)
        try await connection.bindQueue(queue, to: event.amqp.exchange, routingKey: event.amqp.routingKey)
        let consumer = try await connection.consume(queue: queue, exclusive: true)
        let reader = Task {
            do {
                for try await delivery in consumer.deliveries {
                    seen.withLock { $0.append(Seen(event: event, message: delivery.message)) }
                    try delivery.ack()
                }
            } catch {
                // The tap ends with its connection; what it saw is kept.
            }
        }
        running.withLock { $0.append((consumer, reader)) }
    }

    /// Waits until no message has arrived for `quiet` (at most `limit`), then stops the tap and
    /// returns every message it saw, in arrival order.
    func finish(quiet: Duration, limit: Duration) async -> [Seen] {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        var count = seen.withLock { $0.count }
        while clock.now < deadline {
            try? await Task.sleep(for: quiet)
            let now = seen.withLock { $0.count }
            if now == count { break }
            count = now
        }
        let watching = running.withLock { $0 }
        for (consumer, _) in watching { _ = await consumer.stop(settleTimeout: .seconds(2)) }
        await connection.close(timeout: .seconds(2))
        for (_, reader) in watching { await reader.value }
        return seen.withLock { $0 }
    }
}
