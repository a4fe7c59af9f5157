import AccordAMQP
import AccordTestSupport
import Testing

/// `.ownVirtualHost` (AccordTestSupport): the queues of a test that has it are its own, under
/// whatever names, and every connection the test makes lands there.
@Suite struct OwnVirtualHostTests {
    @Test(.ownVirtualHost) func aTestsQueuesAreInAVirtualHostOfItsOwn() async throws {
        guard try TestBroker.available() else { return }
        let shared = try await TestBroker.shared()
        // With AMQP_URL the broker is not the tests' to configure: the URL's vhost is used as it is.
        guard shared.managed != nil else { return }
        let own = try await TestBroker.endpoint()
        #expect(own.vhost != shared.endpoint.vhost)
        #expect(try await TestBroker.endpoint() == own)

        let inside = try await TestBroker.connect()
        let other = try await AMQPConnection.connect(AMQPConnectionConfiguration(endpoint: shared.endpoint))
        let queue = TestBroker.uniqueName("own")
        try await inside.declareQueue(queue, durable: false, autoDelete: true)
        #expect(try await inside.inspectQueue(queue).messageCount == 0)
        await #expect { try await other.inspectQueue(queue) } throws: { error in
            (error as? AMQPError)?.replyCode == 404
        }
        await inside.close()
        await other.close()
    }

    @Test func withoutItTestsShareTheBrokersVirtualHost() async throws {
        guard try TestBroker.available() else { return }
        #expect(try await TestBroker.endpoint() == TestBroker.shared().endpoint)
    }
}
