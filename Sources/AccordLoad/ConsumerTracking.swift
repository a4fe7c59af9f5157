import AccordAMQP
import AccordGRPC
import AccordReport
import AccordSystem
import Synchronization

/// A queue from which a consumer service the run starts reads one of the events the run publishes.
public struct QueueConsumer: Sendable, Hashable {
    public var service: String
    public var event: String
    public var queue: String
    /// The service consumes no other event, so its lines need not name this one.
    public var soleEvent: Bool
    /// How many processes of the service the run starts: more consumers on the queue are someone else's.
    public var replicas: Int

    public init(service: String, event: String, queue: String, soleEvent: Bool, replicas: Int = 1) {
        self.service = service
        self.event = event
        self.queue = queue
        self.soleEvent = soleEvent
        self.replicas = replicas
    }
}

/// Accounts for the run's messages at each consumer service the run started: from the lines the
/// service prints about each message (`ConsumerReport`, read through the fleet's line observers)
/// and, after the load, its queue's depth. Per consumer: processed, processed more than once, in
/// hand at each signal a shutdown step sent it, left in the queue, and lost: confirmed, never
/// processed, and not in the queue.
public final class ConsumerTracking: Sendable {
    public let consumers: [QueueConsumer]
    private let traffic: EventTraffic
    /// One per consumer, in the same order.
    private let ledgers: Mutex<[ConsumerLedger]>

    /// `traffic` publishes the run's messages (and knows which the broker confirmed).
    public init(consumers: [QueueConsumer], traffic: EventTraffic) {
        self.consumers = consumers
        self.traffic = traffic
        ledgers = Mutex(Array(repeating: ConsumerLedger(runID: traffic.tracker.runID), count: consumers.count))
    }

    /// What `ServiceFleet` calls with each line of a consumer service's processes.
    public var lineObservers: [String: ServiceFleet.LineObserver] {
        var observers: [String: ServiceFleet.LineObserver] = [:]
        for service in Set(consumers.map(\.service)) {
            let mine = consumers.indices.filter { consumers[$0].service == service }
            observers[service] = { replica, line in
                guard let report = ConsumerReport.parse(line) else { return }
                let at = MonotonicTime.now()
                // A line names its event, or the service consumes only one.
                let targets = mine.filter { index in
                    report.event.map { $0 == self.consumers[index].event } ?? self.consumers[index].soleEvent
                }
                self.ledgers.withLock { ledgers in
                    for index in targets { ledgers[index].record(report, replica: replica.replica, at: at) }
                }
            }
        }
        return observers
    }

    /// After the load: waits up to `drainTimeout` for the consumers to process every confirmed
    /// message (less when nothing more is coming: nothing reported for `quiet` and nothing ready
    /// in their queues), reads each queue's depth, and accounts for every consumer, by event.
    /// `signals` are the shutdown steps' (for the messages in hand at each).
    public func finish(
        drainTimeout: Duration, signals: [ShutdownScenario.SentSignal], quiet: Duration = .milliseconds(500)
    ) async -> [String: [ConsumerAccounting]] {
        let connection = try? await AMQPConnection.connect(to: traffic.endpoint)
        let deadline = ContinuousClock.now + drainTimeout
        let quietNanos = UInt64(quiet.nanoseconds)
        let waitStarted = MonotonicTime.now()
        while ContinuousClock.now < deadline && !Task.isCancelled {
            let ledgers = self.ledgers.withLock { $0 }
            let pending = consumers.indices.filter { ledgers[$0].processed < confirmed(consumers[$0].event) }
            guard !pending.isEmpty else { break }
            let lastReport = pending.map { ledgers[$0].lastReportAt ?? 0 }.max() ?? 0
            if MonotonicTime.now() &- max(lastReport, waitStarted) > quietNanos {
                var ready = 0
                for index in pending {
                    ready += await inspect(consumers[index].queue, on: connection)?.messageCount ?? 1
                }
                if ready == 0 { break }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let ledgers = self.ledgers.withLock { $0 }
        var accounts: [String: [ConsumerAccounting]] = [:]
        for (index, consumer) in consumers.enumerated() {
            let queue = await inspect(consumer.queue, on: connection)
            var account = ledgers[index].accounting(
                consumer, confirmed: confirmed(consumer.event), leftInQueue: queue?.messageCount,
                signals: signals.filter { $0.replica.service == consumer.service })
            account.otherConsumers = queue.map { UInt64(max(0, $0.consumerCount - consumer.replicas)) }
            accounts[consumer.event, default: []].append(account)
        }
        await connection?.close(timeout: .seconds(5))
        return accounts
    }

    private func confirmed(_ event: String) -> Int { traffic.tracker.account(for: event, idLimit: 0).confirmed }

    /// `queue`'s ready messages and consumers, from a passive declare; nil when it cannot be had.
    private func inspect(_ queue: String, on connection: AMQPConnection?) async -> AMQPQueueInfo? {
        try? await connection?.inspectQueue(queue)
    }
}
