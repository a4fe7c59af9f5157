import AccordAMQP
import Foundation

/// Test messages and the helpers that publish and consume them.
enum AMQPTestTraffic {
    /// Publishes `count` tracked messages in batches (or fewer: with `stopOnFailure`, none after a batch
    /// that was not wholly acked); returns each one's ticket and outcome.
    static func publish(_ count: Int, to queue: String, on connection: AMQPConnection, tracker: MessageTracker,
                        event: String, persistent: Bool = false, batch: Int = 500,
                        stopOnFailure: Bool = false) async -> [(TrackedMessage, PublishOutcome)] {
        var results: [(TrackedMessage, PublishOutcome)] = []
        var next = 0
        while next < count {
            let range = next..<min(next + batch, count)
            next = range.upperBound
            var messages: [AMQPMessage] = []
            var tickets: [TrackedMessage] = []
            for index in range {
                var message = AMQPMessage("message \(index)", properties: AMQPProperties(
                    contentType: "text/plain", deliveryMode: persistent ? .persistent : .transient))
                tickets.append(tracker.stamp(&message, event: event))
                messages.append(message)
            }
            let outcomes = await connection.publish(contentsOf: messages, routingKey: queue)
            for (ticket, outcome) in zip(tickets, outcomes) {
                tracker.record(outcome, for: ticket)
                results.append((ticket, outcome))
            }
            if stopOnFailure, outcomes.contains(where: { $0 != .ack }) { break }
        }
        return results
    }

    /// Processes (records and acks) every delivery until the stream ends, asking the consumer to stop
    /// gracefully once `stopAfter` were processed, or when `timeout` passes. Deliveries already in hand when
    /// the stop is asked for are processed too, as a graceful consumer does. Returns how many it processed.
    static func consume(from consumer: AMQPConsumer, tracker: MessageTracker, event: String, stopAfter: Int,
                        timeout: Duration = .seconds(60)) async throws -> (processed: Int, stop: ConsumerStopSummary) {
        let deadline = Task {
            try await Task.sleep(for: timeout)
            return await consumer.stop()
        }
        var processed = 0
        var stop: Task<ConsumerStopSummary, Never>?
        for try await delivery in consumer.deliveries {
            tracker.recordConsumed(delivery, event: event)
            try delivery.ack()
            processed += 1
            if processed == stopAfter { stop = Task { await consumer.stop() } }
        }
        deadline.cancel()
        let summary: ConsumerStopSummary
        if let stop {
            summary = await stop.value
        } else {
            summary = (try? await deadline.value) ?? ConsumerStopSummary(requeued: 0, error: nil)
        }
        return (processed, summary)
    }
}

/// The accord-amqp-probe executable, built next to the test bundle by `swift build --build-tests`.
enum Probe {
    static var path: String {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("accord-amqp-probe").path
    }
}
