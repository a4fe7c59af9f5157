import AccordAMQP
import AccordTestSupport
import Foundation
import Testing

/// Consumers that stop halfway, gracefully or by SIGKILL, and the accounting across them.
@Suite(.timeLimit(.minutes(2)))
struct AMQPConsumerTests {
    @Test func aGracefulStopHalfwayThenANewConsumerLosesNothing() async throws {
        guard try TestBroker.available() else { return }
        let total = 2000
        let (connection, queue) = try await TestBroker.connectWithQueue("graceful")
        let tracker = MessageTracker()
        let published = await AMQPTestTraffic.publish(total, to: queue, on: connection, tracker: tracker, event: "e")
        #expect(published.allSatisfy { $0.1 == .ack })

        let first = try await connection.consume(queue: queue, prefetch: 100)
        let (firstProcessed, firstStop) = try await AMQPTestTraffic.consume(
            from: first, tracker: tracker, event: "e", stopAfter: total / 2)
        #expect(firstProcessed >= total / 2, "the stop came at half, and what was in hand was finished too")
        #expect(firstStop.requeued == 0 && firstStop.error == nil, "everything in hand was acked before the close")
        #expect(try await connection.inspectQueue(queue).messageCount == total - firstProcessed)

        let second = try await connection.consume(queue: queue, prefetch: 100)
        let (secondProcessed, _) = try await AMQPTestTraffic.consume(
            from: second, tracker: tracker, event: "e", stopAfter: total - firstProcessed)
        #expect(firstProcessed + secondProcessed == total)

        let account = tracker.account(for: "e")
        #expect(account.confirmed == total && account.consumed == total)
        #expect(account.lost == 0 && account.duplicated == 0 && account.redelivered == 0)
        #expect(try await connection.inspectQueue(queue).messageCount == 0)
        try await connection.deleteQueue(queue)
        await connection.close()
    }

    /// Connections advertise consumer_cancel_notify, so the broker tells a consumer its queue is gone
    /// instead of leaving it waiting for deliveries that never come.
    @Test func aConsumerWhoseQueueIsDeletedEndsWithConsumerCancelled() async throws {
        guard try TestBroker.available() else { return }
        let (connection, queue) = try await TestBroker.connectWithQueue("deleted", exclusive: false)
        let consumer = try await connection.consume(queue: queue, prefetch: 10)
        let admin = try await TestBroker.connect()
        try await admin.deleteQueue(queue)
        let ending = Task {
            do {
                for try await delivery in consumer.deliveries { try delivery.ack() }
                return AMQPError.Kind?.none
            } catch let error as AMQPError {
                return error.kind
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(20))
            ending.cancel()
        }
        #expect(try await ending.value == .consumerCancelled)
        watchdog.cancel()
        await admin.close()
        await connection.close()
    }

    /// The killed consumer is accord-amqp-probe, i.e. AccordAMQP's own consumer in a process of its own.
    /// It acks the first half, then holds a full prefetch unacked; SIGKILL makes the broker requeue
    /// exactly those, flagged redelivered, which proves the acks are manual.
    @Test func aConsumerProcessKilledHalfwayThenANewConsumerLosesNothing() async throws {
        guard try TestBroker.available() else { return }
        try #require(FileManager.default.isExecutableFile(atPath: Probe.path), "build with swift build --build-tests")
        let total = 1000, ackLimit = 500, prefetch = 50
        let (connection, queue) = try await TestBroker.connectWithQueue("killed", exclusive: false)
        let tracker = MessageTracker()
        let published = await AMQPTestTraffic.publish(total, to: queue, on: connection, tracker: tracker, event: "e")
        #expect(published.allSatisfy { $0.1 == .ack })

        let probe = try ChildProcess([Probe.path, "consume", "--url", try await TestBroker.endpoint().url,
                                      "--queue", queue, "--prefetch", "\(prefetch)", "--ack-limit", "\(ackLimit)"])
        _ = try await probe.waitForOutput(containing: "HOLDING \(prefetch)", timeout: 60)
        probe.signal(SIGKILL)
        _ = try await probe.wait(timeout: 10)
        var killedAcks = 0
        for line in probe.stdout.split(separator: "\n") where line.hasPrefix("ACKED ") {
            let fields = line.split(separator: " ")
            try #require(fields.count == 4)
            tracker.recordConsumed(id: String(fields[1]), sentAtNanos: Int64(fields[2]),
                                   redelivered: fields[3] == "true", event: "e")
            killedAcks += 1
        }
        #expect(killedAcks == ackLimit)

        let survivor = try await connection.consume(queue: queue, prefetch: 100)
        let (processed, _) = try await AMQPTestTraffic.consume(from: survivor, tracker: tracker, event: "e",
                                                               stopAfter: total - ackLimit)
        #expect(processed == total - ackLimit)

        let account = tracker.account(for: "e")
        #expect(account.consumed == total)
        #expect(account.lost == 0 && account.duplicated == 0)
        #expect(account.redelivered == prefetch, "the deliveries the killed consumer held came back redelivered")
        #expect(try await connection.inspectQueue(queue).messageCount == 0)
        try await connection.deleteQueue(queue)
        await connection.close()
    }
}
