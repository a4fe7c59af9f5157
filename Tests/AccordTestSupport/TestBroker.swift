import AccordAMQP
import Foundation

/// The broker the AMQP tests share: `AMQP_URL` when set, else one managed broker, started on first use
/// (about 7 s) and stopped when the test process exits (its watchdog sees our end of the pipe close).
/// Tests that start services, whose queues have fixed names, take `.ownVirtualHost` to have them alone.
public enum TestBroker {
    public struct Shared: Sendable {
        public let endpoint: AMQPEndpoint
        /// Nil when the broker comes from AMQP_URL.
        public let managed: ManagedBroker?
    }

    private static let shared = Task<Shared, any Error> {
        if let endpoint = try AMQPBrokerSource.endpointFromEnvironment() {
            return Shared(endpoint: endpoint, managed: nil)
        }
        let broker = try await ManagedBroker.start()
        return Shared(endpoint: broker.endpoint, managed: broker)
    }

    /// Whether a broker can be had: AMQP_URL, or rabbitmq-server installed (in CI its absence fails the test).
    public static func available() throws -> Bool {
        if ProcessInfo.processInfo.environment["AMQP_URL"].map({ !$0.isEmpty }) == true { return true }
        return try ExternalTool.available("rabbitmq-server")
    }

    public static func shared() async throws -> Shared { try await shared.value }

    /// Where tests connect: in a test with `.ownVirtualHost`, the test's own virtual host.
    public static func endpoint() async throws -> AMQPEndpoint {
        let shared = try await shared()
        return try await VirtualHostLease.current?.endpoint(on: shared) ?? shared.endpoint
    }

    public static func connect(publishWindow: Int? = nil) async throws -> AMQPConnection {
        var configuration = AMQPConnectionConfiguration(endpoint: try await endpoint())
        if let publishWindow { configuration.publishWindow = publishWindow }
        return try await AMQPConnection.connect(configuration)
    }

    /// A connection and a fresh non-durable queue on it (exclusive: gone with the connection, but only
    /// this connection may use it).
    public static func connectWithQueue(_ prefix: String, exclusive: Bool = true) async throws -> (AMQPConnection, String) {
        let connection = try await connect()
        let queue = uniqueName(prefix)
        try await connection.declareQueue(queue, durable: false, exclusive: exclusive)
        return (connection, queue)
    }

    /// A queue name no other test (or earlier run) uses.
    public static func uniqueName(_ prefix: String) -> String {
        "accord-test-\(prefix)-\(UInt32.random(in: 0...UInt32.max))"
    }
}
