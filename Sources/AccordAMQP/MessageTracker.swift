import Glibc
import Synchronization

/// Gives every message Accord publishes a unique id and a send timestamp (as headers), and keeps a
/// `MessageLedger` per event from the publish outcomes and consumptions it is told about. Safe to use
/// from any number of publishers and consumers at once.
public final class MessageTracker: Sendable {
    /// Header with the message's unique id, `<run>-<event index>-<sequence>`; also set as message-id when unset.
    public static let idHeader = "x-accord-id"
    /// Header with the publish wall-clock time in nanoseconds since the Unix epoch, for publish→consume latency
    /// across processes.
    public static let sentAtHeader = "x-accord-sent-at-ns"

    /// Distinguishes this run's ids from any other run's messages left in a queue.
    public let runID: String
    private struct State {
        var eventIndex: [String: Int] = [:]
        var ledgers: [MessageLedger] = []
        /// Per event, the start of its ids (`<run>-<event index>-`), built once.
        var idPrefixes: [String] = []
    }
    private let state = Mutex(State())

    public init(runID: String = MessageTracker.randomRunID()) {
        self.runID = runID
    }

    public static func randomRunID() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    /// Adds the id and send-time headers to `message` and returns its ticket for `record(_:for:)`.
    public func stamp(_ message: inout AMQPMessage, event: String) -> TrackedMessage {
        let (index, sequence, prefix) = state.withLock { state -> (Int, UInt64, String) in
            let index = self.index(of: event, in: &state)
            return (index, state.ledgers[index].nextSequence(), state.idPrefixes[index])
        }
        let id = Self.id(prefix, sequence)
        // Taken out of the message so that adding to it does not copy it, and sized for the two.
        var headers = message.properties.headers.take() ?? AMQPTable(minimumCapacity: 2)
        headers[Self.idHeader] = .string(id)
        headers[Self.sentAtHeader] = .int64(Self.wallClockNanos())
        message.properties.headers = headers
        if message.properties.messageID == nil { message.properties.messageID = id }
        return TrackedMessage(id: id, eventIndex: index, sequence: sequence, stampedAt: Monotonic.now())
    }

    /// Records what the broker said about a stamped message; latency runs from `stamp` to now.
    public func record(_ outcome: PublishOutcome, for message: TrackedMessage) {
        let now = Monotonic.now()
        state.withLock { state in Self.record(outcome, for: message, at: now, in: &state) }
    }

    /// Records a batch's outcomes, in the order of its messages (as `publish(contentsOf:)` returns
    /// them): one lock and one clock reading for the batch.
    public func record(_ outcomes: [PublishOutcome], for messages: [TrackedMessage]) {
        let now = Monotonic.now()
        state.withLock { state in
            for (outcome, message) in zip(outcomes, messages) {
                Self.record(outcome, for: message, at: now, in: &state)
            }
        }
    }

    private static func record(_ outcome: PublishOutcome, for message: TrackedMessage, at now: UInt64,
                               in state: inout State) {
        state.ledgers[message.eventIndex].recordOutcome(outcome, sequence: message.sequence,
                                                        latencyMicros: (now &- message.stampedAt) / 1000)
    }

    /// Records a consumed delivery of `event` (call it when the message is processed, i.e. acked).
    public func recordConsumed(_ delivery: AMQPDelivery, event: String) {
        let headers = delivery.properties.headers ?? [:]
        var id: String?
        if case .string(let text) = headers[Self.idHeader] { id = text }
        var sentAt: Int64?
        if case .int64(let nanos) = headers[Self.sentAtHeader] { sentAt = nanos }
        recordConsumed(id: id, sentAtNanos: sentAt, redelivered: delivery.redelivered, event: event)
    }

    /// Records a consumption reported by another process (a consumer that printed the ids it processed).
    public func recordConsumed(id: String?, sentAtNanos: Int64?, redelivered: Bool, event: String) {
        let latency = sentAtNanos.map { UInt64(max(Self.wallClockNanos() - $0, 0)) / 1000 }
        state.withLock { state in
            let index = self.index(of: event, in: &state)
            let sequence = id.flatMap { parse($0, eventIndex: index) }
            state.ledgers[index].recordConsumed(sequence: sequence, redelivered: redelivered,
                                                latencyMicros: sequence == nil ? nil : latency)
        }
    }

    public func account(for event: String, idLimit: Int = 1000) -> MessageAccount {
        state.withLock { state in
            let index = self.index(of: event, in: &state)
            return state.ledgers[index].account(idLimit: idLimit)
        }
    }

    /// The sequence number `event`'s next message gets: what a consumer that starts now can see
    /// begins there.
    public func nextSequence(for event: String) -> UInt64 {
        state.withLock { state in state.ledgers[index(of: event, in: &state)].handedOut }
    }

    /// How many of `event`'s confirmed messages from sequence number `first` on are not consumed yet.
    public func unconsumed(for event: String, from first: UInt64) -> Int {
        state.withLock { state in state.ledgers[index(of: event, in: &state)].unconsumed(from: first) }
    }

    /// Every event's account, by event name.
    public func accounts(idLimit: Int = 1000) -> [String: MessageAccount] {
        state.withLock { state in
            state.eventIndex.mapValues { state.ledgers[$0].account(idLimit: idLimit) }
        }
    }

    /// The sequence number of an id of this run and event, or nil.
    private func parse(_ id: String, eventIndex: Int) -> UInt64? {
        let parts = id.split(separator: "-")
        guard parts.count == 3, parts[0] == runID, Int(parts[1]) == eventIndex else { return nil }
        return UInt64(parts[2])
    }

    private func index(of event: String, in state: inout State) -> Int {
        if let index = state.eventIndex[event] { return index }
        let index = state.ledgers.count
        state.ledgers.append(MessageLedger())
        state.idPrefixes.append("\(runID)-\(index)-")
        state.eventIndex[event] = index
        return index
    }

    /// `prefix` then the decimal digits of `number`, written straight into one new string.
    static func id(_ prefix: String, _ number: UInt64) -> String {
        var digitCount = 1
        var scaled = number
        while scaled >= 10 {
            scaled /= 10
            digitCount += 1
        }
        return String(unsafeUninitializedCapacity: prefix.utf8.count + digitCount) { buffer in
            let end = buffer.initialize(fromContentsOf: prefix.utf8) + digitCount
            var rest = number
            for position in (end - digitCount..<end).reversed() {
                buffer[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            return end
        }
    }

    static func wallClockNanos() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}

/// A stamped message's ticket: its id and where its ledger entry is.
public struct TrackedMessage: Sendable, Hashable {
    public let id: String
    let eventIndex: Int
    let sequence: UInt64
    /// Monotonic nanoseconds at stamping, for publish→confirm latency.
    let stampedAt: UInt64
}
