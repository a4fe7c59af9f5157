import AccordAMQP
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

@main
enum ProbeMain {
    static func main() async {
        // A parent that spawned us from a libdispatch thread passed on its blocked signal mask; with it,
        // SIGINT and SIGTERM would stay pending forever instead of shutting us down.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        await ProbeCommand.main()
    }
}

/// A separate process around AccordAMQP for tests and benchmarks: one that owns a managed broker (to
/// check it goes away on SIGINT), one that consumes (so a test can SIGKILL a real Accord consumer), and
/// one that publishes (the Accord side of bench/amqp-publish). Lines on stdout are the protocol.
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord-amqp-probe",
        abstract: "AccordAMQP in a process of its own, for tests and benchmarks.",
        subcommands: [Broker.self, Consume.self, Publish.self]
    )
}

/// Writes a line straight to fd 1: a test may SIGKILL us right after, so nothing may sit in a buffer.
func emit(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(1, buffer.baseAddress! + offset, buffer.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

func stderrLogger(_ label: String) -> Logger {
    var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .warning
    return logger
}

extension ProbeCommand {
    /// Starts a managed broker (or uses AMQP_URL), prints `READY <url> <node> <pid>`, and stops it on SIGINT/SIGTERM.
    struct Broker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Own a managed RabbitMQ until SIGINT/SIGTERM.")

        func run() async throws {
            let logger = stderrLogger("accord.amqp.probe")
            if let endpoint = try AMQPBrokerSource.endpointFromEnvironment() {
                emit("READY \(endpoint.url) external 0")
                try await gracefulShutdownOnSignals(services: [], logger: logger)
                return
            }
            let broker = try await ManagedBroker.start(logger: logger)
            emit("READY \(broker.endpoint.url) \(broker.nodeName) \(broker.pid ?? 0)")
            try await gracefulShutdownOnSignals(services: [broker], logger: logger)
            emit("STOPPED")
        }
    }

    /// Consumes with manual acks: prints `ACKED <id> <sent-at-ns> <redelivered>` before acking each of the
    /// first `ack-limit` messages, then holds what else arrives unacked and prints `HOLDING <n>` once it holds
    /// `prefetch` of them.
    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Consume a queue with manual acks.")

        @Option(help: "The broker URL.") var url: String
        @Option(help: "The queue to consume.") var queue: String
        @Option(help: "Unacked deliveries the broker may send at once.") var prefetch: UInt16 = 50
        @Option(help: "Stop acking after this many messages and hold the rest.") var ackLimit: Int = .max

        func run() async throws {
            let connection = try await AMQPConnection.connect(to: AMQPEndpoint(url: url),
                                                              logger: stderrLogger("accord.amqp.probe"))
            let consumer = try await connection.consume(queue: queue, prefetch: prefetch)
            emit("READY \(consumer.tag)")
            var acked = 0, held = 0
            for try await delivery in consumer.deliveries {
                guard acked < ackLimit else {
                    held += 1
                    if held == Int(prefetch) { emit("HOLDING \(held)") }
                    continue
                }
                var id = "-", sentAt = "-"
                if case .string(let text) = delivery.properties.headers?[MessageTracker.idHeader] { id = text }
                if case .int64(let nanos) = delivery.properties.headers?[MessageTracker.sentAtHeader] {
                    sentAt = String(nanos)
                }
                emit("ACKED \(id) \(sentAt) \(delivery.redelivered)")
                try delivery.ack()
                acked += 1
            }
        }
    }

    /// Publishes `count` messages with confirms, as fast as the connection allows, and prints the rate.
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish messages with confirms and time it.")

        @Option(help: "The broker URL.") var url: String
        @Option(help: "The queue to publish to (declared non-durable, purged first).") var queue: String
        @Option(help: "How many messages.") var count: Int = 100_000
        @Option(help: "Body size in bytes.") var size: Int = 256
        @Option(help: "Most unconfirmed messages at once.") var window: Int = 4096
        @Option(help: "Messages per publish(contentsOf:) call.") var batch: Int = 1024

        func run() async throws {
            var configuration = AMQPConnectionConfiguration(endpoint: try AMQPEndpoint(url: url))
            configuration.publishWindow = window
            let connection = try await AMQPConnection.connect(configuration, logger: stderrLogger("accord.amqp.probe"))
            try await connection.declareQueue(queue, durable: false)
            try await connection.purgeQueue(queue)
            let tracker = MessageTracker()
            let body = [UInt8](repeating: UInt8(ascii: "x"), count: size)
            let clock = ContinuousClock()
            let started = clock.now
            var acked = 0
            // Twice the confirm window in flight: the connection thread keeps `window` unconfirmed and
            // always has the next messages queued while finished batches are replaced.
            let batchesInFlight = max(2, 2 * window / max(batch, 1))
            try await withThrowingTaskGroup(of: Int.self) { group in
                var next = 0
                func submitBatch() {
                    let range = next..<min(next + batch, count)
                    next = range.upperBound
                    var messages: [AMQPMessage] = []
                    var tickets: [TrackedMessage] = []
                    messages.reserveCapacity(range.count)
                    for _ in range {
                        var message = AMQPMessage(body: body, properties: AMQPProperties(contentType: "text/plain"))
                        tickets.append(tracker.stamp(&message, event: "bench"))
                        messages.append(message)
                    }
                    group.addTask {
                        let outcomes = await connection.publish(contentsOf: messages, routingKey: queue)
                        tracker.record(outcomes, for: tickets)
                        return outcomes.count(where: \.isAck)
                    }
                }
                for _ in 0..<batchesInFlight where next < count { submitBatch() }
                while let done = try await group.next() {
                    acked += done
                    if next < count { submitBatch() }
                }
            }
            let seconds = (clock.now - started) / .seconds(1)
            await connection.close()
            let account = tracker.account(for: "bench")
            emit("RESULT messages=\(count) acked=\(acked) unconfirmed=\(account.unconfirmed) "
                + "seconds=\(String(format: "%.3f", seconds)) rate=\(Int(Double(count) / seconds))")
        }
    }
}

/// Runs `services` in a ServiceGroup until SIGINT or SIGTERM, then lets them shut down gracefully.
func gracefulShutdownOnSignals(services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(configuration: ServiceGroupConfiguration(
        services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) } + [
            ServiceGroupConfiguration.ServiceConfiguration(service: WaitForShutdown(),
                                                           successTerminationBehavior: .gracefullyShutdownGroup),
        ],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
    try await group.run()
}

/// Keeps a ServiceGroup alive until graceful shutdown.
struct WaitForShutdown: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}
