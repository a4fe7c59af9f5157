import Foundation
import Logging
import Synchronization

/// A connection to a RabbitMQ broker over rabbitmq-c.
///
/// rabbitmq-c blocks and must not be shared across threads, so each connection runs on its own thread;
/// these async methods queue work for it and suspend (never block) until it answers. Channel 1 carries
/// declarations, channel 2 publishes in confirm mode, and each consumer gets a channel of its own.
///
/// Publishing never waits for one confirm before sending the next message: the thread sends whatever
/// is queued (up to `publishWindow` unconfirmed) and matches confirms as they arrive.
public final class AMQPConnection: Sendable {
    public let configuration: AMQPConnectionConfiguration
    /// The frame size agreed with the broker.
    public let frameMax: Int
    private let inbox: ConnectionInbox

    private init(configuration: AMQPConnectionConfiguration, frameMax: Int, inbox: ConnectionInbox) {
        self.configuration = configuration
        self.frameMax = frameMax
        self.inbox = inbox
    }

    deinit {
        _ = inbox.beginClosing(with: .close(timeout: .seconds(5), done: nil))
    }

    /// Connects, logs in and opens the control and publish channels.
    ///
    /// Cancelling the task ends the wait at once with `CancellationError`: the handshake itself
    /// blocks in rabbitmq-c (up to `rpcTimeout` against a broker that accepts TCP and says
    /// nothing), so its thread finishes alone and closes the connection if it was made.
    public static func connect(_ configuration: AMQPConnectionConfiguration,
                               logger: Logger = Logger(label: "accord.amqp")) async throws -> AMQPConnection {
        let inbox = try ConnectionInbox()
        var logger = logger
        logger[metadataKey: AMQPLogKey.broker] = "\(configuration.endpoint.host):\(configuration.endpoint.port)"
        let threadLogger = logger
        let handshake = PendingHandshake()
        let frameMax = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Int, any Error>) in
                guard handshake.wait(ready) else { return }
                let thread = Thread {
                    let session: RabbitMQSession
                    do throws(AMQPError) {
                        session = try RabbitMQSession(configuration: configuration)
                        try session.openChannel(ConnectionLoop.controlChannel)
                        try session.openChannel(ConnectionLoop.publishChannel)
                        try session.confirmSelect(ConnectionLoop.publishChannel)
                    } catch {
                        _ = inbox.fail(with: error)
                        handshake.finish(.failure(error))
                        return
                    }
                    if !handshake.finish(.success(session.frameMax)) {
                        // Nobody waits for this connection any more: the loop closes it cleanly.
                        _ = inbox.beginClosing(with: .close(timeout: .seconds(5), done: nil))
                    }
                    ConnectionLoop(session: session, inbox: inbox, configuration: configuration, logger: threadLogger)
                        .run()
                }
                thread.name = "accord-amqp \(configuration.endpoint.host):\(configuration.endpoint.port)"
                thread.start()
            }
        } onCancel: {
            handshake.abandon()
        }
        logger.debug("AMQP connection open", metadata: [AMQPLogKey.frameMax: "\(frameMax)"])
        return AMQPConnection(configuration: configuration, frameMax: frameMax, inbox: inbox)
    }

    public static func connect(to endpoint: AMQPEndpoint,
                               logger: Logger = Logger(label: "accord.amqp")) async throws -> AMQPConnection {
        try await connect(AMQPConnectionConfiguration(endpoint: endpoint), logger: logger)
    }

    // MARK: - Topology

    public func declareExchange(_ name: String, type: AMQPExchangeType, durable: Bool = true,
                                autoDelete: Bool = false) async throws {
        try await perform { loop throws(AMQPError) in
            try loop.onControlChannel { session, channel throws(AMQPError) in
                try session.declareExchange(name, type: type, durable: durable, autoDelete: autoDelete,
                                            channel: channel)
            }
        }
    }

    public func deleteExchange(_ name: String) async throws {
        try await perform { loop throws(AMQPError) in
            try loop.onControlChannel { session, channel throws(AMQPError) in
                try session.deleteExchange(name, channel: channel)
            }
        }
    }

    /// Declares a queue (an empty name asks the broker for one). `arguments` are RabbitMQ's x-arguments.
    @discardableResult
    public func declareQueue(_ name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
                             arguments: AMQPTable = [:]) async throws -> AMQPQueueInfo {
        try await perform { loop throws(AMQPError) in
            try loop.onControlChannel { session, channel throws(AMQPError) in
                try session.declareQueue(name, passive: false, durable: durable, exclusive: exclusive,
                                         autoDelete: autoDelete, arguments: arguments, channel: channel)
            }
        }
    }

    /// The queue's counts from a passive declare; throws `channelClosed` 404 when it does not exist.
    public func inspectQueue(_ name: String) async throws -> AMQPQueueInfo {
        try await perform { loop throws(AMQPError) in
            try loop.onControlChannel { session, channel throws(AMQPError) in
                try session.declareQueue(name, passive: true, durable: false, exclusive: false, autoDelete: false,
                                         arguments: [:], channel: channel)
            }
        }
    }

    public func bindQueue(_ queue: String, to exchange: String, routingKey: String) async throws {
        try await perform { loop throws(AMQPError) in
            try loop.onControlChannel { session, channel throws(AMQPError) in
                try session.bindQueue(queue, exchange: exchange, routingKey: routingKey, channel: channel)
            }
        }
    }

    /// Deletes a queue; returns how many messages it held.
    @discardableResult
    public func deleteQueue(_ name: String) async throws -> Int {
        try await perform { loop throws(AMQPError) in
            try loop.onControlChannel { session, channel throws(AMQPError) in
                try session.deleteQueue(name, channel: channel)
            }
        }
    }

    /// Removes a queue's ready messages; returns how many.
    @discardableResult
    public func purgeQueue(_ name: String) async throws -> Int {
        try await perform { loop throws(AMQPError) in
            try loop.onControlChannel { session, channel throws(AMQPError) in
                try session.purgeQueue(name, channel: channel)
            }
        }
    }

    // MARK: - Publishing

    /// Publishes one message and returns when the broker confirms it (or the connection fails).
    /// Many concurrent calls share the connection: they are sent back to back, not one round trip each.
    public func publish(_ message: AMQPMessage, exchange: String = "", routingKey: String) async -> PublishOutcome {
        if let invalid = validate(message, exchange: exchange, routingKey: routingKey) { return .notSent(invalid) }
        return await withCheckedContinuation { continuation in
            let pending = PendingPublish(message: message, exchange: exchange, routingKey: routingKey,
                                         completion: .single(continuation))
            if let error = inbox.submit(.publish(pending)) { continuation.resume(returning: .notSent(error)) }
        }
    }

    /// Publishes messages in order and returns each one's outcome, in the same order, once all are settled.
    public func publish(contentsOf messages: [AMQPMessage], exchange: String = "",
                        routingKey: String) async -> [PublishOutcome] {
        guard !messages.isEmpty else { return [] }
        let rejected = messages.map {
            validate($0, exchange: exchange, routingKey: routingKey).map(PublishOutcome.notSent)
        }
        return await withCheckedContinuation { continuation in
            // One command and one object for the whole batch: the thread publishes from it in place.
            let batch = PublishBatch(
                messages: messages, exchange: exchange, routingKey: routingKey, outcomes: rejected,
                continuation: continuation)
            guard batch.hasUnsent, let error = inbox.submit(.publishBatch(batch)) else { return }
            batch.completeUnsent(from: 0, .notSent(error))
        }
    }

    private func validate(_ message: AMQPMessage, exchange: String, routingKey: String) -> AMQPError? {
        do {
            _ = try AMQPProperties.shortStringSize(exchange, what: "the exchange name", operation: "")
            _ = try AMQPProperties.shortStringSize(routingKey, what: "the routing key", operation: "")
            try message.properties.checkFits(frameMax: frameMax, operation: "")
            return nil
        } catch {
            // Named only on failure: building the text for every message would cost the hot path.
            var named = error
            named.operation = "basic.publish to '\(exchange)' by '\(routingKey.prefix(60))'"
            return named
        }
    }

    // MARK: - Consuming

    /// Starts a consumer with manual acks on its own channel. `prefetch` bounds the unsettled deliveries
    /// the broker sends it (and so the memory they take). Throws `channelClosed` 404 for a missing queue.
    public func consume(queue: String, prefetch: UInt16 = 100, exclusive: Bool = false) async throws -> AMQPConsumer {
        let started = try await perform { loop throws(AMQPError) in
            try loop.startConsumer(queue: queue, prefetch: prefetch, exclusive: exclusive)
        }
        return AMQPConsumer(queue: queue, tag: started.tag, deliveries: started.deliveries, connection: self,
                            id: started.id, inbox: inbox)
    }

    // MARK: - Closing

    /// Closes gracefully: no new work is taken, consumers are cancelled and given `timeout` to settle what
    /// they hold, queued publishes are sent and their confirms awaited (within `timeout`), then the channels
    /// and the connection close. Whatever is unsettled then returns to its queue.
    public func close(timeout: Duration = .seconds(30)) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            if inbox.beginClosing(with: .close(timeout: timeout, done: done)) != nil { done.resume() }
        }
    }

    /// Runs `work` on the connection thread and returns its result.
    private func perform<T: Sendable>(_ work: @escaping @Sendable (ConnectionLoop) throws(AMQPError) -> T)
        async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let command = Command.run(ThreadWork(
                perform: { loop in
                    do throws(AMQPError) {
                        continuation.resume(returning: try work(loop))
                    } catch {
                        loop.note(error)
                        continuation.resume(throwing: error)
                    }
                },
                fail: { continuation.resume(throwing: $0) }))
            if let error = inbox.submit(command) { continuation.resume(throwing: error) }
        }
    }
}

/// A running consumer. Iterate `deliveries` and settle each delivery; call `stop()` to leave gracefully.
public final class AMQPConsumer: Sendable {
    public let queue: String
    public let tag: String
    /// Ends normally after `stop()` (once every delivery sent before the cancel was handed over), or with
    /// an `AMQPError` when the channel or connection fails or the broker cancels the consumer.
    public let deliveries: AsyncThrowingStream<AMQPDelivery, any Error>
    /// Keeps the connection (and its thread) alive as long as the consumer is in use.
    public let connection: AMQPConnection
    private let id: UInt64
    private let inbox: ConnectionInbox

    init(queue: String, tag: String, deliveries: AsyncThrowingStream<AMQPDelivery, any Error>,
         connection: AMQPConnection, id: UInt64, inbox: ConnectionInbox) {
        self.queue = queue
        self.tag = tag
        self.deliveries = deliveries
        self.connection = connection
        self.id = id
        self.inbox = inbox
    }

    /// Stops gracefully: `basic.cancel`, then the deliveries already sent still arrive on `deliveries`,
    /// which then finishes; returns once all of them are settled (or `settleTimeout` passed) and the
    /// channel is closed. Anything unsettled goes back to the queue; the summary says how many.
    @discardableResult
    public func stop(settleTimeout: Duration = .seconds(30)) async -> ConsumerStopSummary {
        await withCheckedContinuation { (done: CheckedContinuation<ConsumerStopSummary, Never>) in
            if let error = inbox.submit(.stopConsumer(consumer: id, settleTimeout: settleTimeout, done: done)) {
                done.resume(returning: ConsumerStopSummary(requeued: 0, error: error))
            }
        }
    }
}

/// How a consumer ended.
public struct ConsumerStopSummary: Sendable, Hashable {
    /// Deliveries not settled when the channel closed: the broker requeued them.
    public let requeued: Int
    /// Why the consumer ended, when it was not a clean stop.
    public let error: AMQPError?

    public init(requeued: Int, error: AMQPError?) {
        self.requeued = requeued
        self.error = error
    }
}

/// Sends a delivery's ack/nack to its consumer's connection thread.
final class DeliverySettler: Sendable {
    private let inbox: ConnectionInbox
    private let consumerID: UInt64

    init(inbox: ConnectionInbox, consumerID: UInt64) {
        self.inbox = inbox
        self.consumerID = consumerID
    }

    func settle(tag: UInt64, multiple: Bool, as settlement: Settlement) throws {
        let command = Command.settle(consumer: consumerID, tag: tag, multiple: multiple, settlement: settlement)
        if let error = inbox.submit(command) {
            throw error
        }
    }
}

/// Logger metadata keys of this module.
enum AMQPLogKey {
    static let broker = "amqp.broker"
    static let queue = "amqp.queue"
    static let channel = "amqp.channel"
    static let deliveryTag = "amqp.delivery_tag"
    static let replyCode = "amqp.reply_code"
    static let replyText = "amqp.reply_text"
    static let frameMax = "amqp.frame_max"
    static let count = "amqp.count"
    static let error = "amqp.error"
    static let node = "amqp.node"
}

/// The one wait for a connection's handshake: answered by the connection's thread, or ended
/// early by cancellation, whichever comes first; the other side learns which.
private final class PendingHandshake: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Int, any Error>)
        case answered
        case abandoned
    }

    private let state = Mutex(State.idle)

    /// Registers the waiter; false (and the waiter has been answered with `CancellationError`)
    /// when the task was cancelled before the connection was even tried.
    func wait(_ continuation: CheckedContinuation<Int, any Error>) -> Bool {
        let abandoned = state.withLock { state in
            guard case .idle = state else { return true }
            state = .waiting(continuation)
            return false
        }
        if abandoned { continuation.resume(throwing: CancellationError()) }
        return !abandoned
    }

    /// The handshake's outcome; false when nobody waits for it any more.
    @discardableResult
    func finish(_ result: Result<Int, AMQPError>) -> Bool {
        let waiter = state.withLock { state -> CheckedContinuation<Int, any Error>? in
            guard case .waiting(let continuation) = state else { return nil }
            state = .answered
            return continuation
        }
        waiter?.resume(with: result.mapError { $0 as any Error })
        return waiter != nil
    }

    func abandon() {
        let waiter = state.withLock { state -> CheckedContinuation<Int, any Error>? in
            switch state {
            case .idle:
                state = .abandoned
                return nil
            case .waiting(let continuation):
                state = .abandoned
                return continuation
            case .answered, .abandoned:
                return nil
            }
        }
        waiter?.resume(throwing: CancellationError())
    }
}
