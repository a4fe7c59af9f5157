import AccordAMQP
import Testing

@Suite struct AMQPEndpointTests {
    @Test(arguments: [
        ("amqp://", AMQPEndpoint(host: "localhost")),
        ("amqp://h", AMQPEndpoint(host: "h")),
        ("amqp://h/", AMQPEndpoint(host: "h", vhost: "")),
        ("amqp://u:p@h:5673/%2f", AMQPEndpoint(host: "h", port: 5673, user: "u", password: "p", vhost: "/")),
        ("amqp://us%40er:p%3Ass@[::1]:1/v", AMQPEndpoint(host: "::1", port: 1, user: "us@er", password: "p:ss",
                                                          vhost: "v")),
        ("amqp://u@127.0.0.1", AMQPEndpoint(host: "127.0.0.1", user: "u")),
    ])
    func parses(url: String, expected: AMQPEndpoint) throws {
        #expect(try AMQPEndpoint(url: url) == expected)
    }

    @Test(arguments: ["http://h", "amqps://h", "amqp://h:0", "amqp://h:x", "amqp://h:70000", "amqp://h/a/b",
                      "amqp://h/%zz", "amqp://h?heartbeat=5", "amqp://[::1"])
    func rejects(url: String) {
        do {
            _ = try AMQPEndpoint(url: url)
            Issue.record("\(url) should be rejected")
        } catch {
            #expect(error.kind == .invalidArgument)
        }
    }

    @Test func urlRoundTripsAndDescriptionHidesThePassword() throws {
        let endpoint = AMQPEndpoint(host: "h", port: 1234, user: "a b", password: "s/cret", vhost: "/")
        #expect(try AMQPEndpoint(url: endpoint.url) == endpoint)
        #expect(!endpoint.description.contains("cret"))
        #expect(endpoint.description.contains("***"))
    }
}
