import AccordAMQP
import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// Accord and Python's pika on the same broker, in both directions, with properties and headers intact.
@Suite(.timeLimit(.minutes(2)))
struct PikaInteropTests {
    static let count = 20

    private func fixture(_ name: String) throws -> String {
        try #require(Bundle.module.url(forResource: name, withExtension: "py", subdirectory: "Fixtures")).path
    }

    private func available() throws -> Bool {
        try TestBroker.available() && ExternalTool.available("python3") && ExternalTool.pythonModuleAvailable("pika")
    }

    @Test func pikaPublishesAccordConsumes() async throws {
        guard try available() else { return }
        let connection = try await TestBroker.connect()
        let queue = TestBroker.uniqueName("from-pika")
        try await connection.declareQueue(queue, durable: false)
        let publisher = try ChildProcess(["python3", try fixture("pika_publish"), try await TestBroker.endpoint().url,
                                          queue, "\(Self.count)"])
        let result = try await publisher.wait(timeout: 60)
        try #require(result.status == 0, "pika_publish failed: \(result.stderr)")

        let consumer = try await connection.consume(queue: queue, prefetch: 5)
        var received: [AMQPDelivery] = []
        for try await delivery in consumer.deliveries {
            received.append(delivery)
            try delivery.ack()
            if received.count == Self.count { break }
        }
        await consumer.stop()
        try await connection.deleteQueue(queue)
        await connection.close()

        #expect(received.map(\.properties.messageID) == (0..<Self.count).map { "pika-\($0)" })
        let first = try #require(received.first)
        #expect(first.body == Array(#"{"n": 0}"#.utf8))
        #expect(first.properties == AMQPProperties(
            contentType: "application/json", contentEncoding: "utf-8", deliveryMode: .persistent, priority: 4,
            correlationID: "corr-0", replyTo: "replies", expiration: "60000", messageID: "pika-0",
            timestamp: 1_700_000_000, type: "order.created", appID: "pika", headers: [
                "text": .string("héllo"), "small": .int32(42), "big": .int64(1 << 40), "negative": .int32(-7),
                "flag": .bool(true), "price": .decimal(scale: 2, value: 1234),
                "when": .timestamp(1_700_000_000), "raw": .bytes([0, 1, 255]),
                "nested": .table(["list": .array([.int32(1), .string("two"), .table(["three": .bool(false)])])]),
                "nothing": .void, "index": .int32(0),
            ]))
    }

    @Test func accordPublishesPikaConsumes() async throws {
        guard try available() else { return }
        let connection = try await TestBroker.connect()
        let queue = TestBroker.uniqueName("to-pika")
        try await connection.declareQueue(queue, durable: false)
        let tracker = MessageTracker()
        var messages: [AMQPMessage] = []
        var ids: [String] = []
        for index in 0..<Self.count {
            var message = AMQPMessage(#"{"n": \#(index)}"#, properties: AMQPProperties(
                contentType: "application/json", deliveryMode: .persistent, correlationID: "corr-\(index)",
                timestamp: 1_700_000_000, headers: [
                    "text": .string("héllo"), "int8": .int8(-8), "uint8": .uint8(8), "int16": .int16(-16),
                    "uint16": .uint16(16), "int32": .int32(-32), "uint32": .uint32(32), "int64": .int64(1 << 40),
                    // No floats: pika 1.4 decodes them truncated to integers.
                    "bool": .bool(true),
                    "decimal": .decimal(scale: 2, value: 1234), "timestamp": .timestamp(1_700_000_000),
                    "bytes": .bytes([0, 1, 255]), "void": .void,
                    "table": .table(["array": .array([.int32(1), .string("two")])]),
                ]))
            ids.append(tracker.stamp(&message, event: "to-pika").id)
            messages.append(message)
        }
        let outcomes = await connection.publish(contentsOf: messages, routingKey: queue)
        #expect(outcomes.allSatisfy { $0.isAck })

        let consumer = try ChildProcess(["python3", try fixture("pika_consume"),
                                         try await TestBroker.endpoint().url, queue, "\(Self.count)"])
        let result = try await consumer.wait(timeout: 60)
        try #require(result.status == 0, "pika_consume failed: \(result.stderr)")
        try await connection.deleteQueue(queue)
        await connection.close()

        let lines = result.stdout.split(separator: "\n").dropFirst()  // READY
        let seen = try lines.map { try JSONParser.parse(String($0)) }
        try #require(seen.count == Self.count)
        #expect(seen.map { $0["message_id"]?.stringValue } == ids)
        let first = seen[0]
        #expect(first["body"] == #"{"n": 0}"#)
        #expect(first["content_type"] == "application/json")
        #expect(first["delivery_mode"] == 2)
        #expect(first["correlation_id"] == "corr-0")
        #expect(first["timestamp"] == 1_700_000_000)
        let headers = try #require(first["headers"])
        let expected: [String: JSONValue] = [
            "text": ["str", "héllo"], "int8": ["int", -8], "uint8": ["int", 8], "int16": ["int", -16],
            "uint16": ["int", 16], "int32": ["int", -32], "uint32": ["int", 32], "int64": ["int", 1_099_511_627_776],
            "bool": ["bool", true],
            "decimal": ["decimal", "12.34"], "timestamp": ["timestamp", 1_700_000_000], "bytes": ["bytes", "AAH/"],
            "void": ["void", nil], "table": ["table", ["array": ["array", [["int", 1], ["str", "two"]]]]],
            MessageTracker.idHeader: ["str", .string(ids[0])],
        ]
        for (key, value) in expected { #expect(headers[key] == value, "header \(key)") }
        guard case .array(let sentAt)? = headers[MessageTracker.sentAtHeader], sentAt.first == "int" else {
            Issue.record("the send-time header must reach pika as an integer")
            return
        }
    }
}
