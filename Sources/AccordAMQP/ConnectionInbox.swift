import Glibc
import Synchronization

/// Work handed from async callers to a connection's thread: a locked list plus a pipe that wakes the
/// thread from `poll` when it sleeps. Callers never block beyond the lock.
final class ConnectionInbox: Sendable {
    private struct State {
        var commands: [Command] = []
        /// The thread is (about to be) in poll and needs the eventfd to wake.
        var sleeping = false
        /// After `close()` only settlements and consumer stops are taken (graceful shutdown needs them).
        var closing = false
        var failure: AMQPError?
    }

    private let state = Mutex(State())
    /// The read end, polled by the thread.
    let wakeDescriptor: Int32
    private let signalDescriptor: Int32

    init() throws(AMQPError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw AMQPError(.library, operation: "create connection",
                            text: "pipe: \(String(cString: strerror(errno)))")
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeDescriptor = ends[0]
        signalDescriptor = ends[1]
    }

    deinit {
        close(wakeDescriptor)
        close(signalDescriptor)
    }

    /// Queues `command`, or returns why it cannot be (the connection failed or is closing).
    func submit(_ command: Command) -> AMQPError? {
        submit(CollectionOfOne(command))
    }

    func submit<C: Collection<Command>>(_ commands: C) -> AMQPError? {
        let (rejection, wake) = state.withLock { state -> (AMQPError?, Bool) in
            if let failure = state.failure { return (failure, false) }
            if state.closing, commands.contains(where: { !$0.isAllowedWhileClosing }) {
                return (AMQPError(.closed, operation: "submit", text: "the connection is closing"), false)
            }
            state.commands.append(contentsOf: commands)
            let wake = state.sleeping
            state.sleeping = false
            return (nil, wake)
        }
        if wake { signal() }
        return rejection
    }

    /// Stops taking new work (publishes, declares, consumers), then queues `command` (the close itself).
    func beginClosing(with command: Command) -> AMQPError? {
        let (rejection, wake) = state.withLock { state -> (AMQPError?, Bool) in
            if let failure = state.failure { return (failure, false) }
            state.closing = true
            state.commands.append(command)
            let wake = state.sleeping
            state.sleeping = false
            return (nil, wake)
        }
        if wake { signal() }
        return rejection
    }

    /// Moves the queued commands into `buffer` (the thread reuses one buffer).
    func takeAll(into buffer: inout [Command]) {
        state.withLock { state in swap(&state.commands, &buffer) }
    }

    /// Marks the thread as sleeping unless work is waiting; returns whether it may sleep.
    func prepareToSleep() -> Bool {
        state.withLock { state in
            guard state.commands.isEmpty else { return false }
            state.sleeping = true
            return true
        }
    }

    func finishedSleeping() {
        state.withLock { $0.sleeping = false }
        var drain = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        _ = read(wakeDescriptor, &drain, MemoryLayout.size(ofValue: drain))
    }

    /// The connection is gone: refuse everything from now on and hand back what was still queued.
    func fail(with error: AMQPError) -> [Command] {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
            defer { state.commands.removeAll() }
            return state.commands
        }
    }

    private func signal() {
        var one: UInt8 = 1
        _ = write(signalDescriptor, &one, 1)
    }
}

/// One request to the connection thread.
enum Command: Sendable {
    case publish(PendingPublish)
    case publishBatch(PublishBatch)
    case settle(consumer: UInt64, tag: UInt64, multiple: Bool, settlement: Settlement)
    /// A synchronous broker operation (declare, bind, consume, …) that resumes its own continuation.
    case run(ThreadWork)
    case stopConsumer(consumer: UInt64, settleTimeout: Duration, done: CheckedContinuation<ConsumerStopSummary, Never>)
    case close(timeout: Duration, done: CheckedContinuation<Void, Never>?)

    var isAllowedWhileClosing: Bool {
        switch self {
        case .settle, .stopConsumer: true
        case .publish, .publishBatch, .run, .close: false
        }
    }

    /// Completes the command's caller with `error` (the connection is gone).
    func fail(with error: AMQPError) {
        switch self {
        case .publish(let pending): pending.completion.complete(.notSent(error))
        case .publishBatch(let batch): batch.completeUnsent(from: 0, .notSent(error))
        case .settle: break
        case .run(let work): work.fail(error)
        case .stopConsumer(_, _, let done): done.resume(returning: ConsumerStopSummary(requeued: 0, error: error))
        case .close(_, let done): done?.resume()
        }
    }
}

struct ThreadWork: Sendable {
    let perform: @Sendable (ConnectionLoop) -> Void
    let fail: @Sendable (AMQPError) -> Void
}

/// A message on its way to the connection thread. A class, so the commands and queues that carry it
/// move one reference instead of copying the message.
final class PendingPublish: Sendable {
    let message: AMQPMessage
    let exchange: String
    let routingKey: String
    let completion: PublishCompletion

    init(message: AMQPMessage, exchange: String, routingKey: String, completion: PublishCompletion) {
        self.message = message
        self.exchange = exchange
        self.routingKey = routingKey
        self.completion = completion
    }
}

/// Where a publish's outcome goes: the awaiting caller, or its slot in a batch.
enum PublishCompletion: Sendable {
    case single(CheckedContinuation<PublishOutcome, Never>)
    case batch(PublishBatch, index: Int)

    func complete(_ outcome: PublishOutcome) {
        switch self {
        case .single(let continuation): continuation.resume(returning: outcome)
        case .batch(let batch, let index): batch.complete(index, outcome)
        }
    }
}

/// A batch of publishes and their outcomes. The connection thread publishes its messages in
/// place, in order (no object or command per message), and completes them one by one; the
/// caller gets the outcomes when the last arrives. After `init`, only the connection thread
/// touches it (or the caller, when the batch never reached the thread), hence unchecked.
final class PublishBatch: @unchecked Sendable {
    let messages: [AMQPMessage]
    let exchange: String
    let routingKey: String
    private var outcomes: [PublishOutcome?]
    private var remaining: Int
    private let continuation: CheckedContinuation<[PublishOutcome], Never>

    /// `outcomes` holds the messages already settled (rejected before sending) and nil for the rest.
    init(messages: [AMQPMessage], exchange: String, routingKey: String, outcomes: [PublishOutcome?],
         continuation: CheckedContinuation<[PublishOutcome], Never>) {
        self.messages = messages
        self.exchange = exchange
        self.routingKey = routingKey
        self.outcomes = outcomes
        remaining = outcomes.count(where: { $0 == nil })
        self.continuation = continuation
        if remaining == 0 { continuation.resume(returning: outcomes.compactMap { $0 }) }
    }

    /// Whether any message still waits to be sent (or settled).
    var hasUnsent: Bool { remaining > 0 }

    /// The first message from `index` on that still needs sending, or nil.
    func nextUnsent(from index: Int) -> Int? {
        outcomes[index...].firstIndex { $0 == nil }
    }

    func complete(_ index: Int, _ outcome: PublishOutcome) {
        guard outcomes[index] == nil else { return }
        outcomes[index] = outcome
        remaining -= 1
        if remaining == 0 { continuation.resume(returning: outcomes.compactMap { $0 }) }
    }

    /// Settles every message from `index` on that has no outcome yet (they were never sent).
    func completeUnsent(from index: Int, _ outcome: PublishOutcome) {
        var next = index
        while next < outcomes.count, let unsent = nextUnsent(from: next) {
            complete(unsent, outcome)
            next = unsent + 1
        }
    }
}
