import AccordAMQP
import AccordContracts
import Logging

/// One event a reference service consumes, from its queue: each delivery is decoded, held for
/// the behaviour's `delay`, then acked, or with probability `failure_rate` nacked and requeued.
/// Deliveries are processed concurrently, as many as the prefetch lets the broker send.
struct ReferenceConsumer: Sendable {
    let queue: String
    let codec: EventCodec
    let behaviour: ConsumerBehaviour
    let pace: DrainPace
    let logger: Logger

    /// Processes deliveries until the consumer is stopped (its stream then ends once every
    /// delivery sent before the cancel has arrived) and every one is settled.
    func run(_ consumer: AMQPConsumer) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for try await delivery in consumer.deliveries {
                group.addTask { await process(delivery) }
            }
            try await group.waitForAll()
        }
    }

    private func process(_ delivery: AMQPDelivery) async {
        var logger = self.logger
        let correlationID = CorrelationID.resolve(delivery.properties.correlationID)
        logger[metadataKey: ServiceLogKey.correlationID] = "\(correlationID)"
        logger[metadataKey: ServiceLogKey.event] = "\(codec.event.name)"
        logger[metadataKey: ServiceLogKey.queue] = "\(queue)"
        do {
            _ = try codec.decode(delivery.body)
        } catch {
            // A body no consumer can read never will: requeueing it would loop forever.
            logger.warning("rejected an undecodable message", metadata: [ServiceLogKey.reason: "\(error)"])
            settle(delivery, logger: logger) { try $0.reject(requeue: false) }
            return
        }
        logger.info("received", metadata: [ServiceLogKey.redelivered: "\(delivery.redelivered)"])
        if behaviour.delay > .zero { try? await Task.sleep(for: behaviour.delay) }
        await pace.settle()
        if Double.random(in: 0..<1) < behaviour.failureRate {
            settle(delivery, logger: logger) { try $0.nack(requeue: true) }
            logger.info("failed on purpose (failure_rate): nacked and requeued")
        } else {
            settle(delivery, logger: logger) { try $0.ack() }
            logger.info("processed and acked")
        }
    }

    private func settle(_ delivery: AMQPDelivery, logger: Logger, _ how: (AMQPDelivery) throws -> Void) {
        do {
            try how(delivery)
        } catch {
            // The channel is gone: the broker requeues the message itself.
            logger.warning("could not settle the message", metadata: [ServiceLogKey.reason: "\(error)"])
        }
    }
}
