import AccordAMQP
import AccordContracts
import Logging

/// One event a reference service consumes, from its queue: each delivery is decoded, held for
/// the behaviour's `delay`, then acked, or with probability `failure_rate` nacked and requeued.
/// Deliveries are processed concurrently, as many as the prefetch lets the broker send.
///
/// The `abrupt` shutdown style acks on receipt instead, before the delay (at-most-once, the
/// classic defect): a message it holds when the signal ends the process is gone.
///
/// Every line about a delivery that has a message id carries it (`amqp.message_id`) and what
/// became of the message (`accord.stage`: received, processed, requeued, dropped): how a load
/// run that published it tells which messages were in hand, processed, or lost.
struct ReferenceConsumer: Sendable {
    /// What a line says happened to a message (the values of `accord.stage`).
    enum Stage: String {
        case received, processed, requeued, dropped
    }

    let queue: String
    let codec: EventCodec
    let behaviour: ConsumerBehaviour
    let pace: DrainPace
    let logger: Logger

    /// Processes deliveries until the consumer is stopped (its stream then ends once every
    /// delivery sent before the cancel has arrived) and every one is settled.
    func run(_ consumer: AMQPConsumer) async throws {
        // Discarding: a long run's finished deliveries are not kept until the stream ends.
        try await withThrowingDiscardingTaskGroup { group in
            for try await delivery in consumer.deliveries {
                group.addTask { await process(delivery) }
            }
        }
    }

    private func process(_ delivery: AMQPDelivery) async {
        var logger = self.logger
        let correlationID = CorrelationID.resolve(delivery.properties.correlationID)
        logger[metadataKey: ServiceLogKey.correlationID] = "\(correlationID)"
        logger[metadataKey: ServiceLogKey.event] = "\(codec.event.name)"
        logger[metadataKey: ServiceLogKey.queue] = "\(queue)"
        let id = delivery.properties.messageID
        do {
            _ = try codec.decode(delivery.body)
        } catch {
            // A body no consumer can read never will: requeueing it would loop forever.
            settle(delivery, logger: logger) { try $0.reject(requeue: false) }
            logger.warning("rejected an undecodable message",
                           metadata: Self.report(.dropped, id).merging([ServiceLogKey.reason: "\(error)"]) { $1 })
            return
        }
        let acksOnReceipt = pace.style == .abrupt
        if acksOnReceipt { settle(delivery, logger: logger) { try $0.ack() } }
        logger.info("received", metadata: Self.report(.received, id).merging(
            [ServiceLogKey.redelivered: "\(delivery.redelivered)"]) { $1 })
        if behaviour.delay > .zero { try? await Task.sleep(for: behaviour.delay) }
        await pace.settle()
        let failed = Double.random(in: 0..<1) < behaviour.failureRate
        switch (failed, acksOnReceipt) {
        case (false, false):
            settle(delivery, logger: logger) { try $0.ack() }
            logger.info("processed and acked", metadata: Self.report(.processed, id))
        case (false, true):
            logger.info("processed (acked on receipt)", metadata: Self.report(.processed, id))
        case (true, false):
            settle(delivery, logger: logger) { try $0.nack(requeue: true) }
            logger.info("failed on purpose (failure_rate): nacked and requeued", metadata: Self.report(.requeued, id))
        case (true, true):
            logger.info("failed on purpose (failure_rate) after acking on receipt: the message is gone",
                        metadata: Self.report(.dropped, id))
        }
    }

    /// `accord.stage` and, when the message has one, `amqp.message_id`.
    static func report(_ stage: Stage, _ id: String?) -> Logger.Metadata {
        var metadata: Logger.Metadata = [ServiceLogKey.stage: "\(stage.rawValue)"]
        if let id { metadata[ServiceLogKey.messageID] = "\(id)" }
        return metadata
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
