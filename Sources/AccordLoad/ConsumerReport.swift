/// One line of a consumer's output that says what it did with a message: how a load run learns,
/// from a consumer it started, which of the messages it published were processed.
///
/// The convention (docs/load-profiles.md, "Consumers"): a line holding the word
/// `amqp.message_id=<id>` (the message's AMQP message-id) reports that message; `accord.stage=`
/// says what happened (`received`: taken from the queue, not yet processed; `processed`, the
/// default; `requeued`: handed back to the queue; `dropped`: given up on), and `amqp.event=`
/// names the event (needed only when the service consumes several). Reference consumers log such
/// lines; a `run: command` consumer prints them.
public struct ConsumerReport: Sendable, Hashable {
    public enum Stage: String, Sendable, Hashable {
        case received, processed, requeued, dropped
    }

    public var id: String
    public var stage: Stage
    public var event: String?

    public init(id: String, stage: Stage = .processed, event: String? = nil) {
        self.id = id
        self.stage = stage
        self.event = event
    }

    static let idKey = "amqp.message_id="
    static let stageKey = "accord.stage="
    static let eventKey = "amqp.event="

    /// The report a line makes, or nil: no message id, an empty one, or a stage this convention
    /// does not know.
    public static func parse(_ line: some StringProtocol) -> ConsumerReport? {
        // Most lines are about something else: one substring search before splitting.
        guard line.contains(idKey) else { return nil }
        var id: String?
        var stage = Stage.processed
        var event: String?
        for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
            if word.hasPrefix(idKey) {
                id = String(word.dropFirst(idKey.count))
            } else if word.hasPrefix(stageKey) {
                guard let known = Stage(rawValue: String(word.dropFirst(stageKey.count))) else { return nil }
                stage = known
            } else if word.hasPrefix(eventKey) {
                event = String(word.dropFirst(eventKey.count))
            }
        }
        guard let id, !id.isEmpty else { return nil }
        return ConsumerReport(id: id, stage: stage, event: event)
    }
}
