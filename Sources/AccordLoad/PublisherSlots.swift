import AccordAMQP

/// A run's publisher connections, one per slot, and the reconnection of the lost ones: a value without
/// I/O that `EventTraffic` drives. A slot whose connection is lost gets one reconnect attempt in flight
/// at a time, spaced by a delay that doubles from `firstDelay` to `maxDelay`; once stopped (the run is
/// finishing) nothing is picked, lost or reconnected any more.
struct PublisherSlots<Connection: AnyObject> {
    enum Slot {
        case open(Connection)
        /// `outage` indexes `outages`; `error` is why it was lost; `delay` is the wait before the next attempt.
        case lost(outage: Int, error: AMQPError, delay: Duration)
    }

    let firstDelay: Duration
    let maxDelay: Duration
    private(set) var slots: [Slot]
    private(set) var outages: [PublisherOutage] = []
    private(set) var stopped = false

    init(_ connections: [Connection], firstDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(2)) {
        self.slots = connections.map(Slot.open)
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
    }

    /// The first open connection from slot `start` on (round robin, so every open slot takes its turn);
    /// when every slot is lost, why the first of them was; nil once stopped.
    func pick(from start: Int) -> Result<Connection, AMQPError>? {
        guard !stopped else { return nil }
        var firstError: AMQPError?
        for offset in 0..<slots.count {
            switch slots[(start + offset) % slots.count] {
            case .open(let connection): return .success(connection)
            case .lost(_, let error, _): firstError = firstError ?? error
            }
        }
        return firstError.map { .failure($0) }
    }

    /// A publish on `connection` found it gone with `error`. When it still holds its slot (the first
    /// publish to notice), the slot is lost and the caller starts reconnecting it after the returned delay.
    mutating func lose(_ connection: Connection, error: AMQPError, at time: UInt64) -> (slot: Int, delay: Duration)? {
        guard !stopped, let slot = slots.firstIndex(where: { Self.holds($0, connection) }) else { return nil }
        outages.append(PublisherOutage(slot: slot, lostAt: time, reason: "\(error)", attempts: 0, reconnectedAt: nil))
        slots[slot] = .lost(outage: outages.count - 1, error: error, delay: firstDelay)
        return (slot, firstDelay)
    }

    /// An attempt to reconnect `slot` failed: the delay before the next one, nil once stopped.
    mutating func attemptFailed(_ slot: Int) -> Duration? {
        guard !stopped, case .lost(let outage, let error, let delay) = slots[slot] else { return nil }
        outages[outage].attempts += 1
        let next = min(delay * 2, maxDelay)
        slots[slot] = .lost(outage: outage, error: error, delay: next)
        return next
    }

    /// An attempt to reconnect `slot` succeeded; false once stopped (the caller closes `connection`).
    mutating func reconnected(_ slot: Int, to connection: Connection, at time: UInt64) -> Bool {
        guard !stopped, case .lost(let outage, _, _) = slots[slot] else { return false }
        outages[outage].attempts += 1
        outages[outage].reconnectedAt = time
        slots[slot] = .open(connection)
        return true
    }

    /// The run is finishing: returns the open connections, for the caller to close.
    mutating func stop() -> [Connection] {
        stopped = true
        return slots.compactMap {
            if case .open(let connection) = $0 { return connection }
            return nil
        }
    }

    private static func holds(_ slot: Slot, _ connection: Connection) -> Bool {
        if case .open(let held) = slot { return held === connection }
        return false
    }
}

/// A publisher connection lost during the run, and whether (when) it was reconnected.
public struct PublisherOutage: Sendable, Hashable {
    /// Which of the run's publisher connections (0-based).
    public let slot: Int
    /// `MonotonicTime` when a publish found it gone.
    public let lostAt: UInt64
    public let reason: String
    /// Reconnect attempts made, the successful one included.
    public var attempts: Int
    /// `MonotonicTime` when it was open again; nil when the run ended first.
    public var reconnectedAt: UInt64?
}

extension PublishOutcome {
    /// The error when this publish found its connection gone (as opposed to a refused or invalid message).
    var connectionLoss: AMQPError? {
        switch self {
        case .ack, .nack: nil
        case .unconfirmed(let error), .notSent(let error): error.isConnectionLevel ? error : nil
        }
    }
}
