import Histogram

/// The accounting of one event's messages, by sequence number: what was published, what the broker
/// confirmed, nacked or left unconfirmed, and what consumers received, once or more. Pure state; the
/// thread-safe front is `MessageTracker`.
///
/// Definitions (the report's fields):
/// - published: handed to the broker (or possibly: still awaiting an outcome); `notSent` never left.
/// - confirmed / nacked: the broker's ack / nack. unconfirmed: published, neither (yet).
/// - consumed: distinct ids received and processed; redelivered: deliveries flagged `redelivered`.
/// - duplicated: an id received again without the redelivered flag: a real duplicate (published twice,
///   or a broker fault), as opposed to at-least-once redelivery after a lost ack.
/// - lost: confirmed but never consumed. A message without a confirm is never counted as delivered.
struct MessageLedger: Sendable {
    private struct Flags: OptionSet {
        let rawValue: UInt8
        static let published = Flags(rawValue: 1 << 0)
        static let acked = Flags(rawValue: 1 << 1)
        static let nacked = Flags(rawValue: 1 << 2)
        static let notSent = Flags(rawValue: 1 << 3)
        static let consumed = Flags(rawValue: 1 << 4)
    }

    /// Latencies in microseconds, up to an hour.
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000,
                  numberOfSignificantValueDigits: .three)
    }

    /// One entry per sequence number handed out (sequence numbers are dense, from 0).
    private var states: [Flags] = []
    private var redelivered = 0
    private var duplicates: [UInt64] = []
    private var foreign = 0
    private var publishToConfirm = makeHistogram()
    private var publishToConsume = makeHistogram()

    init() {}

    /// Hands out the next sequence number.
    mutating func nextSequence() -> UInt64 {
        states.append([])
        return UInt64(states.count - 1)
    }

    /// Records what became of a publish; `latencyMicros` is the time from the publish call to its outcome.
    mutating func recordOutcome(_ outcome: PublishOutcome, sequence: UInt64, latencyMicros: UInt64) {
        guard let index = index(sequence) else { return }
        switch outcome {
        case .ack:
            states[index].formUnion([.published, .acked])
            record(latencyMicros, in: &publishToConfirm)
        case .nack:
            states[index].formUnion([.published, .nacked])
        case .unconfirmed:
            states[index].insert(.published)
        case .notSent:
            states[index].insert(.notSent)
        }
    }

    /// Records a consumed message. `sequence` nil means a message this ledger did not publish.
    mutating func recordConsumed(sequence: UInt64?, redelivered wasRedelivered: Bool, latencyMicros: UInt64?) {
        if wasRedelivered { redelivered += 1 }
        guard let sequence, let index = index(sequence) else {
            foreign += 1
            return
        }
        if states[index].contains(.consumed) {
            if !wasRedelivered { duplicates.append(sequence) }
            return
        }
        states[index].insert(.consumed)
        if let latencyMicros { record(latencyMicros, in: &publishToConsume) }
    }

    /// The account so far; `idLimit` caps each list of ids (the counts stay exact).
    func account(idLimit: Int = 1000) -> MessageAccount {
        var account = MessageAccount(publishToConfirmMicros: publishToConfirm,
                                     publishToConsumeMicros: publishToConsume)
        account.redelivered = redelivered
        account.duplicated = duplicates.count
        account.duplicatedIDs = Array(duplicates.prefix(idLimit))
        account.foreign = foreign
        for (index, flags) in states.enumerated() {
            let sequence = UInt64(index)
            if flags.contains(.notSent) && !flags.contains(.published) {
                account.notSent += 1
                continue
            }
            // Handed out without an outcome yet counts as published: it may be on the wire.
            account.published += 1
            if flags.contains(.consumed) { account.consumed += 1 }
            if flags.contains(.acked) {
                account.confirmed += 1
                if !flags.contains(.consumed) {
                    account.lost += 1
                    account.append(sequence, to: \.lostIDs, limit: idLimit)
                }
            } else if flags.contains(.nacked) {
                account.nacked += 1
            } else {
                account.unconfirmed += 1
                account.append(sequence, to: \.unconfirmedIDs, limit: idLimit)
            }
        }
        return account
    }

    /// Sequence numbers handed out so far: the next message gets this one.
    var handedOut: UInt64 { UInt64(states.count) }

    /// Confirmed and not consumed, among sequence numbers `first` and later.
    func unconsumed(from first: UInt64) -> Int {
        guard first < handedOut else { return 0 }
        return states[Int(first)...].count { $0.contains(.acked) && !$0.contains(.consumed) }
    }

    private func index(_ sequence: UInt64) -> Int? {
        sequence < UInt64(states.count) ? Int(sequence) : nil
    }

    private func record(_ micros: UInt64, in histogram: inout Histogram<UInt64>) {
        _ = histogram.record(min(max(micros, 1), histogram.highestTrackableValue))
    }
}

/// The accounting of one event, as reported.
public struct MessageAccount: Sendable {
    public var published = 0
    public var confirmed = 0
    public var nacked = 0
    /// Published without an ack or nack: the connection or channel failed first, or the run ended.
    public var unconfirmed = 0
    public var notSent = 0
    /// Distinct messages consumed (including unconfirmed ones that did arrive).
    public var consumed = 0
    public var redelivered = 0
    public var duplicated = 0
    /// Confirmed but never consumed.
    public var lost = 0
    /// Consumed messages this tracker did not publish (another run's leftovers, another producer).
    public var foreign = 0
    public var lostIDs: [UInt64] = []
    public var unconfirmedIDs: [UInt64] = []
    public var duplicatedIDs: [UInt64] = []
    public var publishToConfirmMicros: Histogram<UInt64>
    public var publishToConsumeMicros: Histogram<UInt64>

    fileprivate mutating func append(_ sequence: UInt64, to list: WritableKeyPath<MessageAccount, [UInt64]>,
                                     limit: Int) {
        if self[keyPath: list].count < limit { self[keyPath: list].append(sequence) }
    }
}
