/// Publisher-confirm bookkeeping for one channel in confirm mode: which published message each
/// `basic.ack`/`basic.nack` settles. Pure state: the connection thread feeds it events and acts on the
/// tokens it hands back.
///
/// The broker numbers publishes on a confirm-mode channel 1, 2, 3, … in the order it receives them,
/// so the n-th successful `basic.publish` is delivery tag n. A confirm with `multiple` settles every
/// outstanding tag up to and including its own; confirms may arrive out of order across queues.
struct ConfirmTracker<Token> {
    enum Event {
        /// The broker settled these publishes, oldest first.
        case settled([Token], PublishConfirmationKind)
        /// A confirm for a tag that was never published or is already settled: a protocol violation
        /// by the broker (or a bug here); nothing is settled.
        case unknownTag(UInt64)
    }

    enum PublishConfirmationKind: Sendable, Hashable {
        case ack
        case nack
    }

    private var window = DeliveryTagWindow<Token>()
    private var nextTag: UInt64 = 1

    /// Publishes awaiting their confirm.
    var outstanding: Int { window.count }

    /// Records a publish the broker has been sent; returns its delivery tag.
    mutating func published(_ token: Token) -> UInt64 {
        let tag = nextTag
        nextTag += 1
        _ = window.insert(token, tag: tag)
        return tag
    }

    mutating func received(tag: UInt64, multiple: Bool, ack: Bool) -> Event {
        // Tag 0 is only meaningful with `multiple` ("everything so far").
        guard tag < nextTag, tag > 0 || multiple else { return .unknownTag(tag) }
        let tokens = window.remove(tag: tag, multiple: multiple)
        // A repeated single confirm is a violation; a `multiple` one over settled tags is harmless.
        if tokens.isEmpty && !multiple { return .unknownTag(tag) }
        return .settled(tokens, ack ? .ack : .nack)
    }

    /// The channel is gone: every outstanding publish stays unconfirmed (returned oldest first), and a
    /// new channel numbers its publishes from 1 again.
    mutating func channelLost() -> [Token] {
        nextTag = 1
        return window.removeAll()
    }
}
