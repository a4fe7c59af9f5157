/// The life of one consumer on its own channel, as a pure state machine: the connection thread feeds it
/// deliveries, settlements, stop requests and clock ticks, and performs the actions it returns.
///
/// A graceful stop goes: `basic.cancel` → (deliveries already sent still arrive) → `cancel-ok` → the
/// delivery stream finishes → the application settles what it holds → the channel closes. Whatever is
/// still unsettled when the channel closes (the settle deadline passed) is requeued by the broker.
struct ConsumerState {
    enum Phase: Equatable {
        case consuming
        /// `basic.cancel` sent; deliveries may still arrive until `cancel-ok`.
        case cancelling(settleDeadline: UInt64)
        /// No more deliveries will come; waiting for the application to settle what it holds.
        case draining(settleDeadline: UInt64)
        case closed
    }

    enum DeliveryAction: Equatable {
        /// Hand the delivery to the application.
        case deliver
        /// The stream is already finished (cannot happen with a conforming broker): give it back.
        case requeue
    }

    enum SettleAction: Equatable {
        /// Send the ack/nack/reject to the broker.
        case send
        /// The tag is not unsettled here; sending it would make the broker close the channel (406).
        case unknownTag
        /// The channel is closed; the broker has requeued the delivery.
        case channelClosed
    }

    enum Step: Equatable {
        case none
        /// Close the channel; `abandoned` deliveries were not settled in time and return to the queue.
        case closeChannel(abandoned: Int)
    }

    private(set) var phase: Phase = .consuming
    private var unsettled = DeliveryTagWindow<Void>()

    var unsettledCount: Int { unsettled.count }

    mutating func delivered(tag: UInt64) -> DeliveryAction {
        switch phase {
        case .consuming, .cancelling:
            return unsettled.insert((), tag: tag) ? .deliver : .requeue
        case .draining, .closed:
            return .requeue
        }
    }

    mutating func settle(tag: UInt64, multiple: Bool) -> SettleAction {
        if phase == .closed { return .channelClosed }
        return unsettled.remove(tag: tag, multiple: multiple).isEmpty ? .unknownTag : .send
    }

    /// The application asked to stop. Returns true when `basic.cancel` should be sent (only the first time,
    /// and only while consuming: after a broker cancel there is nothing to cancel).
    mutating func stopRequested(now: UInt64, settleTimeoutNanos: UInt64) -> Bool {
        let deadline = now &+ settleTimeoutNanos
        switch phase {
        case .consuming:
            phase = .cancelling(settleDeadline: deadline)
            return true
        case .draining(let existing):
            phase = .draining(settleDeadline: min(existing, deadline))
            return false
        case .cancelling, .closed:
            return false
        }
    }

    /// `cancel-ok` arrived and every delivery sent before it has been handed over: finish the stream.
    mutating func cancelConfirmed() {
        if case .cancelling(let deadline) = phase { phase = .draining(settleDeadline: deadline) }
    }

    /// The broker cancelled the consumer (its queue was deleted, say): no more deliveries; settle what is held.
    mutating func brokerCancelled(now: UInt64, settleTimeoutNanos: UInt64) {
        switch phase {
        case .consuming: phase = .draining(settleDeadline: now &+ settleTimeoutNanos)
        case .cancelling(let deadline): phase = .draining(settleDeadline: deadline)
        case .draining, .closed: break
        }
    }

    /// The channel is gone (closed by the broker or with the connection). Returns how many deliveries
    /// were unsettled: the broker requeues them.
    mutating func channelLost() -> Int {
        phase = .closed
        return unsettled.removeAll().count
    }

    /// What to do now: close the channel once draining has nothing left to settle or its deadline passed.
    mutating func step(now: UInt64) -> Step {
        guard case .draining(let deadline) = phase else { return .none }
        guard unsettled.isEmpty || now >= deadline else { return .none }
        phase = .closed
        return .closeChannel(abandoned: unsettled.removeAll().count)
    }

    /// The earliest time `step(now:)` may have something to do, for the thread's poll timeout.
    var deadline: UInt64? {
        switch phase {
        case .cancelling(let deadline), .draining(let deadline): deadline
        case .consuming, .closed: nil
        }
    }
}
