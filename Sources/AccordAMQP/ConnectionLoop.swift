import DequeModule
import Glibc
import Logging

/// The body of a connection's dedicated thread: owns the rabbitmq-c session and every piece of state
/// that goes with it, takes commands from the inbox, sends publishes without waiting for each confirm,
/// reads confirms and deliveries, and sleeps in `poll` on the socket and the inbox's eventfd.
///
/// Decisions live in the value types (`ConfirmTracker`, `ConsumerState`); this class performs them.
final class ConnectionLoop {
    static let controlChannel: UInt16 = 1
    static let publishChannel: UInt16 = 2

    let session: RabbitMQSession
    private let inbox: ConnectionInbox
    private let configuration: AMQPConnectionConfiguration
    private let logger: Logger

    private var controlChannelOpen = true
    private var publishChannelOpen = true
    private var confirms = ConfirmTracker<PublishCompletion>()
    private var pendingPublishes = Deque<QueuedPublish>()
    private var consumers: [UInt64: ConsumerRecord] = [:]
    private var consumerOnChannel: [UInt16: UInt64] = [:]
    private var freeChannels: [UInt16] = []
    private var nextChannel: UInt16 = 3
    private var nextConsumerID: UInt64 = 1
    private var closing: (deadline: UInt64, done: [CheckedContinuation<Void, Never>])?
    private var failure: AMQPError?
    private var finished = false

    /// Publishes sent per pass before reading what came in, so confirms never pile up unread.
    private static let publishChunk = 256
    private static let framesPerPass = 4096
    /// After a broker cancel, how long the application has to settle what it holds before the channel closes.
    private static let brokerCancelSettleTimeout = 30 * Monotonic.second

    init(session: RabbitMQSession, inbox: ConnectionInbox, configuration: AMQPConnectionConfiguration,
         logger: Logger) {
        self.session = session
        self.inbox = inbox
        self.configuration = configuration
        self.logger = logger
    }

    func run() {
        var commands: [Command] = []
        while !finished {
            inbox.takeAll(into: &commands)
            var busy = !commands.isEmpty
            for command in commands where failure == nil { handle(command) }
            commands.removeAll(keepingCapacity: true)
            if failure == nil, publishPending() { busy = true }
            if failure == nil, readFrames() { busy = true }
            if failure == nil { stepConsumers() }
            if failure == nil, closing != nil { finishClosingIfDone() }
            if let failure { tearDown(failure) } else if !busy { sleep() }
            session.releaseBuffers()
        }
    }

    // MARK: - Commands

    private func handle(_ command: Command) {
        switch command {
        case .publish(let pending):
            pendingPublishes.append(.single(pending))
        case .publishBatch(let batch):
            pendingPublishes.append(.batch(batch, next: 0))
        case .settle(let consumerID, let tag, let multiple, let settlement):
            settle(consumerID: consumerID, tag: tag, multiple: multiple, settlement: settlement)
        case .run(let work):
            work.perform(self)
        case .stopConsumer(let consumerID, let settleTimeout, let done):
            stopConsumer(consumerID, settleTimeout: settleTimeout, done: done)
        case .close(let timeout, let done):
            beginClosing(timeout: timeout, done: done)
        }
    }

    /// Records an error from a broker operation: a connection-level one ends the connection.
    func note(_ error: AMQPError) {
        if error.isConnectionLevel, failure == nil { failure = error }
    }

    /// Runs `body` on the control channel, reopening it if an earlier error closed it.
    func onControlChannel<T>(_ body: (RabbitMQSession, UInt16) throws(AMQPError) -> T) throws(AMQPError) -> T {
        if !controlChannelOpen {
            try session.openChannel(Self.controlChannel)
            controlChannelOpen = true
        }
        do {
            return try body(session, Self.controlChannel)
        } catch {
            if error.kind == .channelClosed { controlChannelOpen = false }
            throw error
        }
    }

    // MARK: - Publishing

    /// Publishes waiting for room in the confirm window, oldest first.
    private enum QueuedPublish {
        case single(PendingPublish)
        /// A batch, from its message `next` on.
        case batch(PublishBatch, next: Int)
    }

    /// Sends queued publishes while the confirm window has room; returns whether any were sent.
    private func publishPending() -> Bool {
        guard !pendingPublishes.isEmpty, confirms.outstanding < configuration.publishWindow else { return false }
        session.setCorked(true)
        defer { session.setCorked(false) }
        var sent = 0
        while sent < Self.publishChunk, confirms.outstanding < configuration.publishWindow,
              let queued = pendingPublishes.first {
            let published: Bool
            switch queued {
            case .single(let pending):
                pendingPublishes.removeFirst()
                published = publish(pending.message, exchange: pending.exchange, routingKey: pending.routingKey,
                                    completion: pending.completion)
            case .batch(let batch, let next):
                guard let index = batch.nextUnsent(from: next) else {
                    pendingPublishes.removeFirst()
                    continue
                }
                pendingPublishes[pendingPublishes.startIndex] = .batch(batch, next: index + 1)
                // Through the buffer, so the message is read in place rather than copied out of the array.
                published = batch.messages.withUnsafeBufferPointer { messages in
                    publish(messages[index], exchange: batch.exchange, routingKey: batch.routingKey,
                            completion: .batch(batch, index: index))
                }
            }
            // A failed send ended the connection: stop here.
            guard published else { return true }
            sent += 1
        }
        return sent > 0
    }

    /// Sends one message; false when the socket failed (the connection is over).
    private func publish(_ message: AMQPMessage, exchange: String, routingKey: String,
                         completion: PublishCompletion) -> Bool {
        guard publishChannelOpen || reopenPublishChannel() else {
            completion.complete(.notSent(AMQPError(.channelClosed, operation: "basic.publish",
                                                   text: "the publish channel could not be reopened")))
            return true
        }
        do {
            try session.publish(message, exchange: exchange, routingKey: routingKey, channel: Self.publishChannel)
            _ = confirms.published(completion)
            return true
        } catch {
            // The socket failed part-way: the broker may have the message; it is unconfirmed.
            completion.complete(.unconfirmed(error))
            note(error)
            return false
        }
    }

    private func reopenPublishChannel() -> Bool {
        // The broker must see channel.open now: this waits for its reply.
        session.setCorked(false)
        do {
            try session.openChannel(Self.publishChannel)
            try session.confirmSelect(Self.publishChannel)
            publishChannelOpen = true
        } catch {
            logger.error("could not reopen the publish channel", metadata: [AMQPLogKey.error: "\(error)"])
            note(error)
        }
        return publishChannelOpen
    }

    // MARK: - Incoming frames

    /// Handles what has arrived, without blocking; returns whether anything did.
    private func readFrames() -> Bool {
        var handled = 0
        while handled < Self.framesPerPass, failure == nil {
            do {
                guard let frame = try session.nextFrame() else { break }
                dispatch(frame)
                handled += 1
            } catch {
                // nextFrame only throws when the connection itself failed (socket, protocol, heartbeat).
                let endpoint = "\(session.endpoint.host):\(session.endpoint.port)"
                failure = failure ?? AMQPError(error.kind, operation: "read from \(endpoint)",
                                               replyCode: error.replyCode, text: error.text)
            }
        }
        return handled > 0
    }

    private func dispatch(_ frame: IncomingFrame) {
        switch frame {
        case .confirm(let channel, let tag, let multiple, let ack):
            guard channel == Self.publishChannel else { return }
            switch confirms.received(tag: tag, multiple: multiple, ack: ack) {
            case .settled(let completions, let kind):
                let outcome: PublishOutcome = kind == .ack ? .ack : .nack
                for completion in completions { completion.complete(outcome) }
            case .unknownTag(let tag):
                logger.error("broker confirmed an unknown delivery tag", metadata: [AMQPLogKey.deliveryTag: "\(tag)"])
            }
        case .deliver(let channel, let consumerTag, let tag, let redelivered, let exchange, let routingKey,
                      let message):
            deliver(channel: channel, consumerTag: consumerTag, tag: tag, redelivered: redelivered,
                    exchange: exchange, routingKey: routingKey, message: message)
        case .returned(_, let replyCode, let replyText):
            logger.warning("broker returned a message", metadata: [AMQPLogKey.replyCode: "\(replyCode)",
                                                                   AMQPLogKey.replyText: "\(replyText)"])
        case .cancelledByBroker(let channel, _):
            guard let id = consumerOnChannel[channel], let record = consumers[id] else { return }
            record.state.brokerCancelled(now: Monotonic.now(), settleTimeoutNanos: Self.brokerCancelSettleTimeout)
            record.finishStream(throwing: AMQPError(.consumerCancelled, operation: "consume from '\(record.queue)'",
                                                    text: "the broker cancelled the consumer"))
        case .channelClosed(let channel, let replyCode, let replyText):
            channelClosedByBroker(channel, replyCode: replyCode, replyText: replyText)
        case .connectionClosed(let replyCode, let replyText):
            failure = AMQPError(.connectionClosed, operation: "connection to \(session.endpoint.host):"
                                    + "\(session.endpoint.port)", replyCode: replyCode, text: replyText)
        case .blocked(let reason):
            logger.warning("broker blocked the connection", metadata: [AMQPLogKey.replyText: "\(reason)"])
        case .unblocked:
            logger.info("broker unblocked the connection")
        case .unexpected(let channel, let what):
            logger.debug("ignored an unexpected frame", metadata: [AMQPLogKey.channel: "\(channel)",
                                                                   AMQPLogKey.replyText: "\(what)"])
        }
    }

    private func channelClosedByBroker(_ channel: UInt16, replyCode: UInt16, replyText: String) {
        logger.warning("broker closed a channel", metadata: [AMQPLogKey.channel: "\(channel)",
                                                             AMQPLogKey.replyCode: "\(replyCode)",
                                                             AMQPLogKey.replyText: "\(replyText)"])
        switch channel {
        case Self.publishChannel:
            let error = AMQPError(.channelClosed, operation: "publish", replyCode: replyCode, text: replyText)
            publishChannelOpen = false
            for completion in confirms.channelLost() { completion.complete(.unconfirmed(error)) }
        case Self.controlChannel:
            controlChannelOpen = false
        default:
            guard let id = consumerOnChannel[channel], let record = consumers[id] else { return }
            let error = AMQPError(.channelClosed, operation: "consume from '\(record.queue)'", replyCode: replyCode,
                                  text: replyText)
            removeConsumer(record, requeued: record.state.channelLost(), error: error, closeChannel: false)
        }
    }

    // MARK: - Consumers

    /// Opens a channel with the given prefetch and starts a manual-ack consumer on it.
    func startConsumer(queue: String, prefetch: UInt16, exclusive: Bool) throws(AMQPError) -> StartedConsumer {
        let channel = allocateChannel()
        do {
            try session.openChannel(channel)
        } catch {
            releaseChannel(channel)
            throw error
        }
        let tag: String
        do {
            try session.qos(prefetchCount: prefetch, channel: channel)
            tag = try session.consume(queue: queue, exclusive: exclusive, channel: channel)
        } catch {
            // A broker error has closed the channel already (and close-ok was sent); otherwise close it.
            if error.kind != .channelClosed, !error.isConnectionLevel { try? session.closeChannel(channel) }
            releaseChannel(channel)
            throw error
        }
        let id = nextConsumerID
        nextConsumerID += 1
        let (stream, continuation) = AsyncThrowingStream<AMQPDelivery, any Error>.makeStream()
        let record = ConsumerRecord(id: id, channel: channel, tag: tag, queue: queue, stream: continuation,
                                    settler: DeliverySettler(inbox: inbox, consumerID: id))
        consumers[id] = record
        consumerOnChannel[channel] = id
        return StartedConsumer(id: id, tag: tag, deliveries: stream)
    }

    private func deliver(channel: UInt16, consumerTag: String, tag: UInt64, redelivered: Bool, exchange: String,
                         routingKey: String, message: AMQPMessage) {
        guard let id = consumerOnChannel[channel], let record = consumers[id] else {
            // The consumer is gone; its channel is closing, which requeues the message.
            return
        }
        switch record.state.delivered(tag: tag) {
        case .deliver:
            record.stream.yield(AMQPDelivery(message: message, exchange: exchange, routingKey: routingKey,
                                             redelivered: redelivered, deliveryTag: tag, consumerTag: consumerTag,
                                             settler: record.settler))
        case .requeue:
            do {
                try session.settle(.nack(requeue: true), tag: tag, multiple: false, channel: channel)
            } catch {
                note(error)
            }
        }
    }

    private func settle(consumerID: UInt64, tag: UInt64, multiple: Bool, settlement: Settlement) {
        guard let record = consumers[consumerID] else { return }
        switch record.state.settle(tag: tag, multiple: multiple) {
        case .send:
            do {
                try session.settle(settlement, tag: tag, multiple: multiple, channel: record.channel)
            } catch {
                note(error)
            }
        case .unknownTag:
            logger.warning("ignored a settlement of a delivery that is not outstanding",
                           metadata: [AMQPLogKey.queue: "\(record.queue)", AMQPLogKey.deliveryTag: "\(tag)"])
        case .channelClosed:
            break
        }
    }

    private func stopConsumer(_ id: UInt64, settleTimeout: Duration,
                              done: CheckedContinuation<ConsumerStopSummary, Never>) {
        guard let record = consumers[id] else {
            done.resume(returning: ConsumerStopSummary(requeued: 0, error: nil))
            return
        }
        record.stopWaiters.append(done)
        requestStop(record, settleTimeout: settleTimeout)
    }

    /// Cancels the consumer (first request only) and finishes its stream once the deliveries sent before
    /// `cancel-ok` are handed over; `stepConsumers` closes the channel when they are settled.
    private func requestStop(_ record: ConsumerRecord, settleTimeout: Duration) {
        let timeout = Monotonic.nanoseconds(settleTimeout)
        guard record.state.stopRequested(now: Monotonic.now(), settleTimeoutNanos: timeout) else { return }
        do {
            try session.cancel(consumerTag: record.tag, channel: record.channel)
        } catch {
            note(error)
            if error.kind == .channelClosed {
                removeConsumer(record, requeued: record.state.channelLost(), error: error, closeChannel: false)
            }
            return
        }
        // Deliveries sent before cancel-ok were queued inside rabbitmq-c while we waited: hand them over
        // before finishing the stream, so the application settles them too.
        _ = readFrames()
        record.state.cancelConfirmed()
        record.finishStream(throwing: nil)
    }

    private func stepConsumers() {
        let now = Monotonic.now()
        for record in consumers.values {
            guard case .closeChannel(let abandoned) = record.state.step(now: now) else { continue }
            if abandoned > 0 {
                logger.warning("closing a consumer with unsettled deliveries; the broker requeues them",
                               metadata: [AMQPLogKey.queue: "\(record.queue)", AMQPLogKey.count: "\(abandoned)"])
            }
            removeConsumer(record, requeued: abandoned, error: nil, closeChannel: true)
            if failure != nil { return }
        }
    }

    private func removeConsumer(_ record: ConsumerRecord, requeued: Int, error: AMQPError?, closeChannel: Bool) {
        if closeChannel {
            do {
                try session.closeChannel(record.channel)
            } catch {
                note(error)
            }
        }
        consumers[record.id] = nil
        consumerOnChannel[record.channel] = nil
        releaseChannel(record.channel)
        record.finishStream(throwing: error)
        let summary = ConsumerStopSummary(requeued: requeued, error: error)
        for waiter in record.stopWaiters { waiter.resume(returning: summary) }
        record.stopWaiters.removeAll()
    }

    private func allocateChannel() -> UInt16 {
        if let channel = freeChannels.popLast() { return channel }
        defer { nextChannel += 1 }
        return nextChannel
    }

    private func releaseChannel(_ channel: UInt16) {
        freeChannels.append(channel)
    }

    // MARK: - Closing and failing

    private func beginClosing(timeout: Duration, done: CheckedContinuation<Void, Never>?) {
        let deadline = Monotonic.now() &+ Monotonic.nanoseconds(timeout)
        if var existing = closing {
            existing.deadline = min(existing.deadline, deadline)
            if let done { existing.done.append(done) }
            closing = existing
        } else {
            closing = (deadline, done.map { [$0] } ?? [])
        }
        for record in Array(consumers.values) where failure == nil {
            requestStop(record, settleTimeout: timeout)
        }
    }

    private func finishClosingIfDone() {
        guard let closing else { return }
        let drained = pendingPublishes.isEmpty && confirms.outstanding == 0 && consumers.isEmpty
        guard drained || Monotonic.now() >= closing.deadline else { return }
        for record in Array(consumers.values) {
            removeConsumer(record, requeued: record.state.channelLost(), error: nil, closeChannel: true)
        }
        do {
            try session.closeConnection()
        } catch {
            logger.debug("connection.close failed", metadata: [AMQPLogKey.error: "\(error)"])
        }
        tearDown(AMQPError(.closed, operation: "publish", text: "the connection was closed by the application"))
    }

    /// Completes everything still outstanding with `error` and ends the loop.
    private func tearDown(_ error: AMQPError) {
        if error.kind != .closed {
            logger.warning("AMQP connection lost", metadata: [AMQPLogKey.error: "\(error)"])
        }
        for completion in confirms.channelLost() { completion.complete(.unconfirmed(error)) }
        while let queued = pendingPublishes.popFirst() {
            switch queued {
            case .single(let pending): pending.completion.complete(.notSent(error))
            case .batch(let batch, let next): batch.completeUnsent(from: next, .notSent(error))
            }
        }
        for record in Array(consumers.values) {
            removeConsumer(record, requeued: record.state.channelLost(), error: error, closeChannel: false)
        }
        for command in inbox.fail(with: error) { command.fail(with: error) }
        for done in closing?.done ?? [] { done.resume() }
        closing = nil
        finished = true
    }

    // MARK: - Sleeping

    private func sleep() {
        if session.hasBufferedInput { return }
        guard inbox.prepareToSleep() else { return }
        var descriptors = [pollfd(fd: session.socketDescriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: inbox.wakeDescriptor, events: Int16(POLLIN), revents: 0)]
        _ = poll(&descriptors, 2, pollTimeoutMilliseconds())
        inbox.finishedSleeping()
    }

    /// Long enough to be idle cheaply, short enough for heartbeats (rabbitmq-c sends and checks them while
    /// reading frames) and for consumer settle deadlines and the close deadline.
    private func pollTimeoutMilliseconds() -> Int32 {
        var deadlines = consumers.values.compactMap(\.state.deadline)
        if let closing { deadlines.append(closing.deadline) }
        let now = Monotonic.now()
        let untilDeadline = deadlines.min().map { $0 > now ? ($0 - now) / 1_000_000 + 1 : 0 } ?? 1000
        return Int32(min(untilDeadline, 1000))
    }
}

struct StartedConsumer: Sendable {
    let id: UInt64
    let tag: String
    let deliveries: AsyncThrowingStream<AMQPDelivery, any Error>
}

/// A consumer as the connection thread sees it.
final class ConsumerRecord {
    let id: UInt64
    let channel: UInt16
    let tag: String
    let queue: String
    let stream: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation
    let settler: DeliverySettler
    var state = ConsumerState()
    var stopWaiters: [CheckedContinuation<ConsumerStopSummary, Never>] = []
    private var streamFinished = false

    init(id: UInt64, channel: UInt16, tag: String, queue: String,
         stream: AsyncThrowingStream<AMQPDelivery, any Error>.Continuation, settler: DeliverySettler) {
        self.id = id
        self.channel = channel
        self.tag = tag
        self.queue = queue
        self.stream = stream
        self.settler = settler
    }

    func finishStream(throwing error: AMQPError?) {
        guard !streamFinished else { return }
        streamFinished = true
        stream.finish(throwing: error)
    }
}

/// Monotonic time in nanoseconds, for deadlines on the connection thread.
enum Monotonic {
    static let second: UInt64 = 1_000_000_000

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * second + UInt64(time.tv_nsec)
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(seconds, 0)) * second + UInt64(max(attoseconds, 0) / 1_000_000_000)
    }
}
