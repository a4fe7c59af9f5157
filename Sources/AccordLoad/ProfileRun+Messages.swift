import AccordReport
import Foundation

extension ProfileRun {
    /// The run's broker side, when its mix publishes: `finish` it after the load for the
    /// message accounting.
    public static func traffic(of plan: LoadPlan) -> EventTraffic? {
        plan.mix.lazy.compactMap { ($0.interaction as? AMQPPublishInteraction)?.traffic }.first
    }

    /// `messages.*` summed over the events in the threshold's scope (one publish entry's event, or
    /// all); lost and duplicated only over tapped events. Nil when nothing in scope measured it.
    static func messageFigure(_ threshold: Threshold, messages: MessageResults?, events: [String: String]) -> Double? {
        guard let messages else { return nil }
        let scope = threshold.interaction.map { name in events[name].map { Set([$0]) } ?? [] }
        let (figure, tappedOnly): (KeyPath<MessageAccounting, UInt64>, Bool) =
            switch threshold.metric {
            case "messages.lost": (\.lost, true)
            case "messages.duplicated": (\.duplicated, true)
            case "messages.unconfirmed": (\.unconfirmed, false)
            default: (\.nacked, false)
            }
        let accounts = messages.accounts.filter {
            (scope?.contains($0.event) ?? true) && (!tappedOnly || messages.tapped.contains($0.event))
        }
        guard !accounts.isEmpty else { return nil }
        return Double(accounts.reduce(0) { $0 + $1[keyPath: figure] })
    }

    /// Loud notes on message accounting: a tap that stopped, confirmed messages that never arrived.
    static func messageNotes(_ messages: MessageResults, outcome: LoadOutcome) -> [String] {
        var notes = messages.tapFailures.map { failure in
            let second = Double(Int64(bitPattern: failure.at &- outcome.startNanos)) / 1e9
            return "the tap on \(failure.event) stopped \(String(format: "%.1f", second)) s into the run "
                + "(\(failure.reason)): messages confirmed after that count as lost"
        }
        let failed = Set(messages.tapFailures.map(\.event))
        for account in messages.accounts where account.lost > 0 && !failed.contains(account.event) {
            notes.append(
                "\(account.lost) confirmed \(account.event) messages did not reach the tap before the drain timeout")
        }
        return notes
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
