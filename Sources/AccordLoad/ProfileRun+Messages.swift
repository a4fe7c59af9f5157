import AccordReport
import Foundation

extension ProfileRun {
    /// The run's broker side, when its mix publishes: `finish` it after the load for the
    /// message accounting.
    public static func traffic(of plan: LoadPlan) -> EventTraffic? {
        plan.mix.lazy.compactMap { ($0.interaction as? AMQPPublishInteraction)?.traffic }.first
    }

    /// `messages.*` summed over the events in the threshold's scope (one publish entry's event, or
    /// all). `lost` adds up every queue's losses: the tap's (tapped events) and each consumer's;
    /// `in_hand` and `redelivered` are the consumers'; `duplicated` the tap's. Nil when nothing in
    /// scope measured it.
    static func messageFigure(_ threshold: Threshold, messages: MessageResults?, events: [String: String]) -> Double? {
        guard let messages else { return nil }
        let scope = threshold.interaction.map { name in events[name].map { Set([$0]) } ?? [] }
        let accounts = messages.accounts.filter { scope?.contains($0.event) ?? true }
        let tapped = accounts.filter { messages.tapped.contains($0.event) }
        let consumers = accounts.flatMap { $0.consumers ?? [] }
        func sum(_ counts: [UInt64]) -> Double? { counts.isEmpty ? nil : Double(counts.reduce(0, +)) }
        switch threshold.metric {
        case "messages.lost":
            return sum(tapped.map(\.lost) + consumers.map(\.lost))
        case "messages.in_hand": return sum(consumers.compactMap(\.inHand))
        case "messages.redelivered": return sum(consumers.map(\.redelivered))
        case "messages.duplicated": return sum(tapped.map(\.duplicated))
        case "messages.unconfirmed": return sum(accounts.map(\.unconfirmed))
        default: return sum(accounts.map(\.nacked))
        }
    }

    /// Loud notes on message accounting: a tap that stopped, a publisher connection lost, confirmed
    /// messages that never arrived.
    static func messageNotes(_ messages: MessageResults, startNanos: UInt64) -> [String] {
        var notes = messages.tapFailures.map { failure in
            let stopped = "the tap on \(failure.event) stopped \(seconds(from: startNanos, to: failure.at)) s "
                + "into the run (\(failure.reason))"
            guard let back = failure.backAt else { return stopped + ": messages confirmed after that count as lost" }
            return stopped + "; it consumed again \(seconds(from: failure.at, to: back)) s later, from a new queue: "
                + "messages confirmed in between, and those its old queue held, count as lost"
        }
        notes += publisherNotes(messages.publisherOutages, startNanos: startNanos)
        let failed = Set(messages.tapFailures.map(\.event))
        for account in messages.accounts {
            if account.lost > 0 && messages.tapped.contains(account.event) && !failed.contains(account.event) {
                notes.append("\(account.lost) confirmed \(account.event) messages did not reach the tap before the "
                    + "drain timeout")
            }
            for consumer in account.consumers ?? [] where consumer.lost > 0 {
                notes.append("\(consumer.lost) confirmed \(account.event) messages were neither processed by "
                    + "\(consumer.service) nor left in its queue \(consumer.queue): lost")
                if let others = consumer.otherConsumers, others > 0 {
                    notes.append("\(consumer.queue) had \(others) consumer\(others == 1 ? "" : "s") the run did not "
                        + "start: what they took counts as lost")
                }
            }
        }
        return notes
    }

    /// One note per lost publisher connection, the first ten of them, then how many more there were.
    private static func publisherNotes(_ outages: [PublisherOutage], startNanos: UInt64) -> [String] {
        let shown = 10
        var notes = outages.prefix(shown).map { outage in
            let back = outage.reconnectedAt.map {
                "reconnected \(seconds(from: outage.lostAt, to: $0)) s later (attempt \(outage.attempts))"
            } ?? "not reconnected before the run ended (\(outage.attempts) failed attempts)"
            let lost = seconds(from: startNanos, to: outage.lostAt)
            return "publisher connection \(outage.slot + 1) was lost \(lost) s into the run (\(outage.reason)); "
                + "\(back): meanwhile its publishes went to the other publisher connections, or counted as "
                + "amqp.not_sent when none was open"
        }
        if outages.count > shown { notes.append("\(outages.count - shown) more publisher connection losses") }
        return notes
    }

    /// `MonotonicTime` nanoseconds from `start` to `end` as seconds with one decimal.
    private static func seconds(from start: UInt64, to end: UInt64) -> String {
        String(format: "%.1f", Double(Int64(bitPattern: end &- start)) / 1e9)
    }
}

extension LoadProfile {
    /// The event of each publish entry, by entry name.
    var publishedEvents: [String: String] {
        var events: [String: String] = [:]
        for entry in mix {
            if case .contract(let call) = entry.target, case .publish(let event, _, _) = call.kind {
                events[entry.name] = event.name
            }
        }
        return events
    }
}
