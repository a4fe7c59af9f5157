@testable import AccordAMQP
import CRabbitMQ
import Testing

@Suite struct AMQPPropertiesEncodingTests {
    static let samples: [AMQPProperties] = [
        AMQPProperties(),
        AMQPProperties(contentType: "application/json", deliveryMode: .persistent, correlationID: "c-1",
                       messageID: "m-1", timestamp: 1_700_000_000),
        AMQPProperties(contentEncoding: "gzip", priority: 3, replyTo: "amq.rabbitmq.reply-to", expiration: "60000",
                       type: "order.created", userID: "guest", appID: "accord", headers: [
                           "s": .string("text é"), "b": .bool(true), "i8": .int8(-8), "u8": .uint8(8),
                           "i16": .int16(-16), "u16": .uint16(16), "i32": .int32(-32), "u32": .uint32(32),
                           "i64": .int64(-64), "f": .float(1.5), "d": .double(2.5),
                           "dec": .decimal(scale: 2, value: 12345), "x": .bytes([0, 1, 255]),
                           "t": .timestamp(1_700_000_000), "v": .void,
                           "nested": .table(["a": .array([.int32(1), .string("two"), .table([:])])]),
                       ]),
    ]

    /// Our size computation must match what rabbitmq-c actually encodes, or the frame check lies.
    @Test(arguments: samples)
    func sizeMatchesRabbitMQCEncoding(properties: AMQPProperties) throws {
        let arena = CArena()
        var cProperties = arena.properties(properties)
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let encoded = buffer.withUnsafeMutableBytes { raw in
            amqp_encode_properties(60, &cProperties, amqp_bytes_t(len: raw.count, bytes: raw.baseAddress))
        }
        try #require(encoded > 0)
        // class-id, weight and body size precede the flags and properties in the frame payload.
        #expect(try properties.contentHeaderSize(operation: "test") == 12 + Int(encoded))
    }

    @Test func headersLargerThanTheFrameAreRejected() {
        let properties = AMQPProperties(headers: ["big": .string(String(repeating: "x", count: 5000))])
        #expect(throws: AMQPError.self) { try properties.checkFits(frameMax: 4096, operation: "test") }
        #expect(throws: Never.self) { try properties.checkFits(frameMax: 131_072, operation: "test") }
        do {
            try properties.checkFits(frameMax: 4096, operation: "publish")
        } catch {
            #expect(error.kind == .frameTooLarge)
            #expect(error.text.contains("4096"))
        }
    }

    @Test func shortStringsOver255BytesAreRejected() {
        let properties = AMQPProperties(messageID: String(repeating: "m", count: 256))
        do {
            _ = try properties.contentHeaderSize(operation: "publish")
            Issue.record("a 256-byte message-id must be rejected")
        } catch {
            #expect(error.kind == .invalidArgument)
            #expect(error.text.contains("message-id"))
        }
    }
}
