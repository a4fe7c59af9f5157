import AccordAMQP
import AccordContracts
import Foundation
import Logging

/// Publishes a reference service's events with publisher confirms: protobuf events as binary
/// (`application/x-protobuf`), JSON events as text (`application/json`), persistent, with the
/// request's correlation id.
struct EventPublisher: Sendable {
    let connection: AMQPConnection
    /// By event name: every event the service's behaviours publish.
    let codecs: [String: EventCodec]
    /// `accord-reference/<service>`, the `app-id` of every message.
    let appID: String

    /// Publishes the events in order; returns once the broker confirmed each, or throws why not.
    func publish(_ events: [PlannedEvent], correlationID: String, logger: Logger) async throws(EventPublishError) {
        for planned in events {
            guard let codec = codecs[planned.event] else {
                throw EventPublishError(event: planned.event, reason: "the service does not publish it")
            }
            let body: [UInt8]
            do {
                body = try codec.encode(planned.fields)
            } catch {
                throw EventPublishError(event: planned.event, reason: error.description)
            }
            let properties = AMQPProperties(
                contentType: codec.contentType, deliveryMode: .persistent, correlationID: correlationID,
                messageID: CorrelationID.make(), timestamp: UInt64(Date().timeIntervalSince1970),
                type: planned.event, appID: appID)
            let binding = codec.event.amqp
            let outcome = await connection.publish(AMQPMessage(body: body, properties: properties),
                                                   exchange: binding.exchange, routingKey: binding.routingKey)
            guard outcome.isAck else {
                throw EventPublishError(event: planned.event, reason: "the broker did not confirm it (\(outcome))")
            }
            logger.info("published", metadata: [
                ServiceLogKey.event: "\(planned.event)", ServiceLogKey.exchange: "\(binding.exchange)",
                ServiceLogKey.routingKey: "\(binding.routingKey)",
            ])
        }
    }
}

/// An event that was not published; the request that caused it fails with UNAVAILABLE / 503.
struct EventPublishError: Error, Sendable, CustomStringConvertible {
    let event: String
    let reason: String

    var description: String { "event \(event) was not published: \(reason)" }
}
