import AccordAMQP
import AccordJSON
import Foundation
import Synchronization
import Testing

/// A test's own virtual host on the managed test broker, made when the test first asks `TestBroker`
/// for the broker. The systems tests start declare durable queues and exchanges with fixed names
/// (`shop.notifier.order.created`): in a vhost of its own a test neither finds what an earlier test
/// left in them nor loses messages to a consumer another test left running.
final class VirtualHostLease: Sendable {
    @TaskLocal static var current: VirtualHostLease?

    private let made = Mutex<Task<AMQPEndpoint, any Error>?>(nil)

    /// The vhost's endpoint, made on the first call. With AMQP_URL the broker is not the tests' to
    /// configure: the URL's own vhost, shared.
    func endpoint(on shared: TestBroker.Shared) async throws -> AMQPEndpoint {
        guard let broker = shared.managed else { return shared.endpoint }
        let task = made.withLock { made in
            if let made { return made }
            let task = Task { try await Self.make(on: broker) }
            made = task
            return task
        }
        return try await task.value
    }

    /// Kept after the test (a handful per run, gone with the broker at the end of the test process).
    private static func make(on broker: ManagedBroker) async throws -> AMQPEndpoint {
        var endpoint = broker.endpoint
        endpoint.vhost = TestBroker.uniqueName("vhost")
        // The vhost and the user's permissions on it in one rabbitmqctl run (each takes about 0.5 s).
        let definitions: JSONValue = [
            "vhosts": [["name": .string(endpoint.vhost)]],
            "permissions": [[
                "user": .string(endpoint.user), "vhost": .string(endpoint.vhost),
                "configure": ".*", "write": ".*", "read": ".*",
            ]],
        ]
        let folder = try Repository.temporaryDirectory("accord-vhost")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("definitions.json")
        try definitions.jsonText.write(to: file, atomically: true, encoding: .utf8)
        _ = try await broker.rabbitmqctl(["import_definitions", file.path])
        return endpoint
    }
}

/// `@Suite(.ownVirtualHost)` or `@Test(.ownVirtualHost)`: in each test case, `TestBroker.endpoint()`
/// and `connect()` give a virtual host of the case's own (see `VirtualHostLease`).
public struct OwnVirtualHostTrait: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await VirtualHostLease.$current.withValue(VirtualHostLease()) { try await function() }
    }
}

extension Trait where Self == OwnVirtualHostTrait {
    public static var ownVirtualHost: Self { OwnVirtualHostTrait() }
}
