/// A value in an AMQP field table (message headers, queue arguments), with RabbitMQ's type letters.
// Not `indirect`: tables and arrays recurse through their collections' storage already, and an
// indirect enum puts every value (each header of every message) in a heap box of its own.
public enum AMQPFieldValue: Sendable, Hashable {
    case bool(Bool)
    case int8(Int8)
    case uint8(UInt8)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case float(Float)
    case double(Double)
    /// `value` × 10^-`scale`.
    case decimal(scale: UInt8, value: UInt32)
    case string(String)
    case bytes([UInt8])
    /// Seconds since the Unix epoch.
    case timestamp(UInt64)
    case table(AMQPTable)
    case array([AMQPFieldValue])
    case void
}

public typealias AMQPTable = [String: AMQPFieldValue]

/// The basic-class properties Accord uses. Unset properties are not sent.
public struct AMQPProperties: Sendable, Hashable {
    public enum DeliveryMode: UInt8, Sendable {
        case transient = 1
        /// Written to disk by the broker when the queue is durable: survives a broker restart.
        case persistent = 2
    }

    public var contentType: String?
    public var contentEncoding: String?
    public var deliveryMode: DeliveryMode?
    public var priority: UInt8?
    public var correlationID: String?
    public var replyTo: String?
    public var expiration: String?
    public var messageID: String?
    /// Seconds since the Unix epoch (AMQP timestamps have one-second resolution).
    public var timestamp: UInt64?
    public var type: String?
    public var userID: String?
    public var appID: String?
    public var headers: AMQPTable?

    public init(contentType: String? = nil, contentEncoding: String? = nil, deliveryMode: DeliveryMode? = nil,
                priority: UInt8? = nil, correlationID: String? = nil, replyTo: String? = nil,
                expiration: String? = nil, messageID: String? = nil, timestamp: UInt64? = nil, type: String? = nil,
                userID: String? = nil, appID: String? = nil, headers: AMQPTable? = nil) {
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.deliveryMode = deliveryMode
        self.priority = priority
        self.correlationID = correlationID
        self.replyTo = replyTo
        self.expiration = expiration
        self.messageID = messageID
        self.timestamp = timestamp
        self.type = type
        self.userID = userID
        self.appID = appID
        self.headers = headers
    }
}

/// A message to publish.
public struct AMQPMessage: Sendable, Hashable {
    public var body: [UInt8]
    public var properties: AMQPProperties

    public init(body: [UInt8], properties: AMQPProperties = AMQPProperties()) {
        self.body = body
        self.properties = properties
    }

    public init(_ text: String, properties: AMQPProperties = AMQPProperties()) {
        self.init(body: Array(text.utf8), properties: properties)
    }
}

/// What became of a message handed to `AMQPConnection.publish`.
public enum PublishOutcome: Sendable, Hashable {
    /// The broker took responsibility for the message (for a persistent message to a durable queue:
    /// it is on disk).
    case ack
    /// The broker refused the message (e.g. a queue at its length limit with `reject-publish`).
    case nack
    /// The message was sent but no confirm arrived before the channel or connection failed: it may or
    /// may not have reached a queue, and must not be counted as delivered.
    case unconfirmed(AMQPError)
    /// The message never left: it was invalid (too large a header, say) or the connection was gone.
    case notSent(AMQPError)

    public var isAck: Bool { self == .ack }
}

/// A message received by a consumer. Settle it exactly once with `ack()`, `nack(requeue:)` or `reject(requeue:)`;
/// until then the broker holds it for this consumer and counts it against the prefetch.
public struct AMQPDelivery: Sendable {
    public let message: AMQPMessage
    public let exchange: String
    public let routingKey: String
    /// The broker delivered this message before (to this or another consumer) without an ack.
    public let redelivered: Bool
    public let deliveryTag: UInt64
    public let consumerTag: String
    let settler: DeliverySettler

    public var body: [UInt8] { message.body }
    public var properties: AMQPProperties { message.properties }

    /// Acknowledges the message (and, with `multiple`, every earlier unsettled one of this consumer).
    /// Returns once queued to the connection thread; throws when the consumer's channel or the
    /// connection is already gone, in which case the broker requeues the message.
    public func ack(multiple: Bool = false) throws {
        try settler.settle(tag: deliveryTag, multiple: multiple, as: .ack)
    }

    /// Negatively acknowledges; with `requeue` the broker puts the message back (and marks it redelivered).
    public func nack(requeue: Bool, multiple: Bool = false) throws {
        try settler.settle(tag: deliveryTag, multiple: multiple, as: .nack(requeue: requeue))
    }

    public func reject(requeue: Bool) throws {
        try settler.settle(tag: deliveryTag, multiple: false, as: .reject(requeue: requeue))
    }
}

/// How a delivery is settled.
enum Settlement: Sendable, Hashable {
    case ack
    case nack(requeue: Bool)
    case reject(requeue: Bool)
}

/// Information from `queue.declare-ok`.
public struct AMQPQueueInfo: Sendable, Hashable {
    public let name: String
    /// Messages ready for delivery (not counting those delivered and awaiting an ack).
    public let messageCount: Int
    public let consumerCount: Int
}

public enum AMQPExchangeType: String, Sendable {
    case direct, fanout, topic, headers
}
