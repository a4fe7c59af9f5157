import AccordAMQP
import AccordGRPC
import AccordReport
import Synchronization

/// The broker side of a run's publishes: `connections` publisher connections shared by every
/// worker (rabbitmq-c runs each on its own thread, not on an event loop), a `MessageTracker`
/// that stamps every message with an id and a send time, and for each tapped event a queue bound
/// to its exchange and routing key whose consumer accounts for every message: published,
/// confirmed, nacked, unconfirmed, consumed, duplicated, lost.
public final class EventTraffic: Sendable {
    /// An event the run publishes: where to, as what, and whether a tap accounts for it.
    public struct Route: Sendable, Hashable {
        public let event: String
        public let exchange: String
        public let exchangeType: AMQPExchangeType
        public let routingKey: String
        public let contentType: String
        public let tapped: Bool

        public init(
            event: String, exchange: String, exchangeType: AMQPExchangeType, routingKey: String, contentType: String,
            tapped: Bool
        ) {
            self.event = event
            self.exchange = exchange
            self.exchangeType = exchangeType
            self.routingKey = routingKey
            self.contentType = contentType
            self.tapped = tapped
        }
    }

    public let endpoint: AMQPEndpoint
    public let connections: Int
    /// One per event.
    public let routes: [Route]
    public let tracker: MessageTracker
    /// The tap queue of each tapped event (auto-deleted when its consumer stops).
    public let tapQueues: [String: String]

    private typealias TapConsumer = (consumer: AMQPConsumer, task: Task<Void, Never>)

    /// The taps' connection with a consumer per tapped event, replaced whole when one stops.
    private struct Taps {
        var connection: AMQPConnection?
        var consumers: [TapConsumer] = []
        /// Consumers of replaced connections: ended by closing them, awaited by `finish`.
        var retired: [TapConsumer] = []
        /// Bumped with each connection, so the consumers of a replaced one ending are no failure.
        var generation = 0
        /// Per event: the first sequence number the current consumer can see (bound before it).
        var seesFrom: [String: UInt64] = [:]
        /// Events whose tap stopped and is not back yet.
        var down: Set<String> = []
        var failures: [TapFailure] = []
        var reconnect: Task<Void, Never>?
        var stopped = false
    }

    /// The publisher connections once open, and the tasks reconnecting lost ones (awaited by `finish`).
    private struct Publishers {
        var slots: PublisherSlots<AMQPConnection>
        var reconnects: [Task<Void, Never>] = []
    }

    private let opening = Mutex<Task<Void, any Error>?>(nil)
    private let publishers = Mutex<Publishers?>(nil)
    private let taps = Mutex(Taps())
    private let nextPublisher = Atomic<Int>(0)

    /// `routes` naming one event twice are merged (tapped if any is).
    public init(endpoint: AMQPEndpoint, connections: Int, routes: [Route], runName: String) {
        self.endpoint = endpoint
        self.connections = max(1, connections)
        var merged: [Route] = []
        for route in routes {
            if let index = merged.firstIndex(where: { $0.event == route.event }) {
                if route.tapped && !merged[index].tapped { merged[index] = route }
            } else {
                merged.append(route)
            }
        }
        self.routes = merged
        let tracker = MessageTracker()
        self.tracker = tracker
        let prefix = runName.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        self.tapQueues = Dictionary(
            uniqueKeysWithValues: merged.filter(\.tapped).map {
                ($0.event, "accord.load.\(String(prefix)).\($0.event).\(tracker.runID)")
            })
    }

    /// Connects, declares the events' exchanges and starts the taps; every call after the first
    /// waits for the same attempt, so each worker's driver may call it.
    public func start() async throws {
        let attempt = opening.withLock { attempt in
            if let attempt { return attempt }
            let created = Task { try await self.connect() }
            attempt = created
            return created
        }
        try await attempt.value
    }

    private func connect() async throws {
        var opened: [AMQPConnection] = []
        do {
            for _ in 0..<connections { opened.append(try await AMQPConnection.connect(to: endpoint)) }
            // amq.* exchanges are the broker's own, and may not be declared.
            for route in routes where !route.exchange.isEmpty && !route.exchange.hasPrefix("amq.") {
                try await opened[0].declareExchange(route.exchange, type: route.exchangeType)
            }
            if !tapQueues.isEmpty { try await openTaps() }
        } catch {
            await closeTaps()
            for publisher in opened { await publisher.close(timeout: .seconds(5)) }
            throw error
        }
        publishers.withLock { $0 = Publishers(slots: PublisherSlots(opened)) }
    }

    /// Opens a tap connection with a consumer per tapped event and makes it the current one (the
    /// replaced one is closed). Does nothing once `finish` stopped the taps.
    private func openTaps() async throws {
        let connection = try await AMQPConnection.connect(to: endpoint)
        var opened: [(consumer: AMQPConsumer, event: String, seesFrom: UInt64)] = []
        do {
            for route in routes {
                guard let queue = tapQueues[route.event] else { continue }
                // Auto-deleted with its last consumer; expires unused should accord die before consuming.
                try await connection.declareQueue(
                    queue, durable: false, autoDelete: true, arguments: ["x-expires": .int32(600_000)])
                try await connection.bindQueue(queue, to: route.exchange, routingKey: route.routingKey)
                // Read after the binding: every message stamped from here on is routed to the queue.
                let seesFrom = tracker.nextSequence(for: route.event)
                opened.append((try await connection.consume(queue: queue, prefetch: 1000), route.event, seesFrom))
            }
        } catch {
            await connection.close(timeout: .seconds(5))
            throw error
        }
        let now = MonotonicTime.now()
        let replaced = taps.withLock { taps -> AMQPConnection?? in
            guard !taps.stopped else { return .none }
            taps.generation += 1
            let generation = taps.generation
            taps.retired += taps.consumers
            taps.consumers = opened.map { entry in
                let task = Task { await self.account(entry.consumer, event: entry.event, generation: generation) }
                return (entry.consumer, task)
            }
            for entry in opened { taps.seesFrom[entry.event] = entry.seesFrom }
            taps.down = []
            for index in taps.failures.indices where taps.failures[index].backAt == nil {
                taps.failures[index].backAt = now
            }
            defer { taps.connection = connection }
            return .some(taps.connection)
        }
        guard case .some(let previous) = replaced else {
            await connection.close(timeout: .seconds(5))
            return
        }
        await previous?.close(timeout: .seconds(5))
    }

    /// Records every delivery of a tap until it stops. A tap the broker cancels (its queue was
    /// deleted) or whose connection fails is noted and opened again in the background.
    private func account(_ consumer: AMQPConsumer, event: String, generation: Int) async {
        do {
            for try await delivery in consumer.deliveries {
                tracker.recordConsumed(delivery, event: event)
                try delivery.ack()
            }
        } catch {
            tapStopped(event: event, generation: generation, reason: "\(error)")
        }
    }

    /// Notes the stop and starts reopening, unless the tap was replaced or stopped on purpose.
    private func tapStopped(event: String, generation: Int, reason: String) {
        let now = MonotonicTime.now()
        taps.withLock { taps in
            guard generation == taps.generation, !taps.stopped else { return }
            taps.down.insert(event)
            taps.failures.append(TapFailure(event: event, at: now, reason: reason))
            if taps.reconnect == nil { taps.reconnect = Task { await self.reopenTaps() } }
        }
    }

    /// Opens the taps again, 250 ms after they stopped and then at doubling intervals up to 2 s,
    /// until they are open or `finish` cancels this.
    private func reopenTaps() async {
        var delay = Duration.milliseconds(250)
        while !Task.isCancelled {
            try? await Task.sleep(for: delay)
            if Task.isCancelled { return }
            do {
                try await openTaps()
                taps.withLock { $0.reconnect = nil }
                return
            } catch {
                delay = min(delay * 2, .seconds(2))
            }
        }
    }

    /// Publishes `body` as `route`'s event on the next open publisher connection and waits for the
    /// broker's confirm; also returns when the message left (monotonic ns). With every connection lost
    /// it is `notSent` at once: waiting for a reconnect would hide the outage from the latency figures.
    func publish(_ body: [UInt8], as route: Route) async -> (outcome: PublishOutcome, sentAt: UInt64) {
        let start = nextPublisher.wrappingAdd(1, ordering: .relaxed).oldValue
        guard let pick = publishers.withLock({ $0?.slots.pick(from: start) }) else {
            let closed = AMQPError(
                .closed, operation: "publish \(route.event)", text: "the run's broker connections are closed")
            return (.notSent(closed), MonotonicTime.now())
        }
        var message = AMQPMessage(
            body: body,
            properties: AMQPProperties(
                contentType: route.contentType, deliveryMode: .persistent, type: route.event, appID: "accord"))
        let ticket = tracker.stamp(&message, event: route.event)
        let sentAt = MonotonicTime.now()
        let outcome: PublishOutcome
        switch pick {
        case .success(let connection):
            outcome = await connection.publish(message, exchange: route.exchange, routingKey: route.routingKey)
            if let error = outcome.connectionLoss { lost(connection, error: error) }
        case .failure(let error):
            outcome = .notSent(error)
        }
        tracker.record(outcome, for: ticket)
        return (outcome, sentAt)
    }

    /// Marks `connection`'s slot lost (when no other publish did first) and reconnects it in the background.
    private func lost(_ connection: AMQPConnection, error: AMQPError) {
        publishers.withLock { state in
            guard let (slot, delay) = state?.slots.lose(connection, error: error, at: MonotonicTime.now()) else {
                return
            }
            state?.reconnects.append(Task { await self.reconnect(slot, after: delay) })
        }
    }

    /// Tries to reconnect `slot` until it is open again or the run finishes, one attempt at a time.
    /// The exchanges are durable, so even a restarted broker still has them: nothing to declare again.
    private func reconnect(_ slot: Int, after firstDelay: Duration) async {
        var delay = firstDelay
        // Bounded by the run: `finish` stops the slots and cancels this task (ending the sleep).
        while !Task.isCancelled {
            try? await Task.sleep(for: delay)
            if Task.isCancelled { return }
            guard let connection = try? await AMQPConnection.connect(to: endpoint) else {
                guard let next = publishers.withLock({ $0?.slots.attemptFailed(slot) }) else { return }
                delay = next
                continue
            }
            let now = MonotonicTime.now()
            let installed = publishers.withLock { $0?.slots.reconnected(slot, to: connection, at: now) }
            if installed != true { await connection.close(timeout: .seconds(5)) }
            return
        }
    }

    /// After the load: gives the taps up to `drainTimeout` to consume every confirmed message,
    /// stops them, closes every connection, and returns the accounting.
    public func finish(drainTimeout: Duration) async -> MessageResults {
        let attempt = opening.withLock { $0 }
        if let attempt, (try? await attempt.value) != nil {
            let deadline = ContinuousClock.now + drainTimeout
            while ContinuousClock.now < deadline && !Task.isCancelled && !tapsCaughtUp() {
                try? await Task.sleep(for: .milliseconds(20))
            }
            // Publishes from now on are not sent, and no connection is lost or reconnected any more.
            let (current, reconnects) = publishers.withLock { state in
                (state?.slots.stop() ?? [], state?.reconnects ?? [])
            }
            for task in reconnects {
                task.cancel()
                await task.value
            }
            await closeTaps()
            for publisher in current { await publisher.close(timeout: .seconds(5)) }
        }
        let tapped = Set(tapQueues.keys)
        let accounts = routes.map { route in
            Self.accounting(
                tracker.account(for: route.event, idLimit: 0), event: route.event,
                tapped: tapped.contains(route.event))
        }
        return MessageResults(
            accounts: accounts, tapped: tapped, tapFailures: taps.withLock { $0.failures },
            publisherOutages: publishers.withLock { $0?.slots.outages ?? [] })
    }

    /// Every confirmed message a working tap can see has been consumed (a tap that is down sees nothing).
    private func tapsCaughtUp() -> Bool {
        let (down, seesFrom) = taps.withLock { ($0.down, $0.seesFrom) }
        return tapQueues.keys.allSatisfy {
            down.contains($0) || tracker.unconsumed(for: $0, from: seesFrom[$0] ?? 0) == 0
        }
    }

    /// Stops the taps for good: no reopening, every consumer settled, the connection closed.
    private func closeTaps() async {
        let (reconnect, connection, consumers) = taps.withLock { taps in
            taps.stopped = true
            defer { taps.reconnect = nil }
            return (taps.reconnect, taps.connection, taps.retired + taps.consumers)
        }
        reconnect?.cancel()
        await reconnect?.value
        for (consumer, task) in consumers {
            await consumer.stop(settleTimeout: .seconds(5))
            await task.value
        }
        await connection?.close(timeout: .seconds(5))
    }

    /// The summary's figures; without a tap nothing is known of consumption, so consumed, lost
    /// and duplicated stay 0 (and thresholds on them say "not measured").
    static func accounting(_ account: MessageAccount, event: String, tapped: Bool) -> MessageAccounting {
        MessageAccounting(
            event: event, published: UInt64(account.published), confirmed: UInt64(account.confirmed),
            nacked: UInt64(account.nacked), unconfirmed: UInt64(account.unconfirmed),
            consumed: tapped ? UInt64(account.consumed) : 0, redelivered: tapped ? UInt64(account.redelivered) : 0,
            duplicated: tapped ? UInt64(account.duplicated) : 0, lost: tapped ? UInt64(account.lost) : 0,
            publishToConfirm: account.confirmed > 0 ? LatencyStats.summary(account.publishToConfirmMicros) : nil,
            publishToConsume: tapped && account.consumed > 0
                ? LatencyStats.summary(account.publishToConsumeMicros) : nil)
    }
}

/// A tap that stopped before the run ended.
public struct TapFailure: Sendable, Hashable {
    public let event: String
    /// `MonotonicTime` when it stopped.
    public let at: UInt64
    public let reason: String
    /// When it was consuming again (a new connection and queue), nil if never.
    public var backAt: UInt64?
}

/// What a run's publishes came to, per event.
public struct MessageResults: Sendable {
    public var accounts: [MessageAccounting]
    /// Events a tap consumed: the tap's lost and duplicated are measured for these only.
    public var tapped: Set<String>
    public var tapFailures: [TapFailure]
    /// Publisher connections lost during the run, in the order they were.
    public var publisherOutages: [PublisherOutage]

    /// Adds each event's consumer accounting (`ConsumerTracking.finish`) to its account.
    public mutating func attach(_ consumers: [String: [ConsumerAccounting]]) {
        for index in accounts.indices {
            if let found = consumers[accounts[index].event], !found.isEmpty { accounts[index].consumers = found }
        }
    }
}

extension PublishOutcome {
    /// The error kind a load report counts this publish under, nil for a confirm.
    var loadErrorKind: String? {
        switch self {
        case .ack: nil
        case .nack: "amqp.nack"
        case .unconfirmed: "amqp.unconfirmed"
        case .notSent: "amqp.not_sent"
        }
    }
}
