import AccordGRPC
import NIOCore

/// An event publish as a load interaction: latency runs to the broker's confirm (from the
/// intended send time, like every request); the run's `EventTraffic` owns the connections and
/// the taps, and accounts for each message.
public struct AMQPPublishInteraction: LoadInteraction {
    public let name: String
    public let traffic: EventTraffic
    public let route: EventTraffic.Route
    /// The message body for sequence number n, or the error kind it counts as instead.
    public let body: @Sendable (UInt64) -> Result<[UInt8], PayloadFailure>

    public init(
        name: String, traffic: EventTraffic, route: EventTraffic.Route,
        body: @escaping @Sendable (UInt64) -> Result<[UInt8], PayloadFailure>
    ) {
        self.name = name
        self.traffic = traffic
        self.route = route
        self.body = body
    }

    public func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
        Driver(interaction: self, eventLoop: eventLoop)
    }

    final class Driver: LoadInteractionDriver {
        let interaction: AMQPPublishInteraction
        let eventLoop: EventLoop

        init(interaction: AMQPPublishInteraction, eventLoop: EventLoop) {
            self.interaction = interaction
            self.eventLoop = eventLoop
        }

        func connect() -> EventLoopFuture<Void> {
            let promise = eventLoop.makePromise(of: Void.self)
            promise.completeWithTask { [traffic = interaction.traffic] in try await traffic.start() }
            return promise.futureResult
        }

        func start(sequence: UInt64, done: RequestCompletion) {
            let body: [UInt8]
            switch interaction.body(sequence) {
            case .success(let bytes):
                body = bytes
            case .failure(let failure):
                let now = MonotonicTime.now()
                return done(RequestOutcome(error: failure.kind, sentAt: now, endedAt: now))
            }
            let done = NIOLoopBound(done, eventLoop: eventLoop)
            let traffic = interaction.traffic
            let route = interaction.route
            // The connection's thread does the blocking work; this task only waits for the confirm.
            Task {
                let (outcome, sentAt) = await traffic.publish(body, as: route)
                let ended = MonotonicTime.now()
                done.eventLoop.execute {
                    done.value(RequestOutcome(error: outcome.loadErrorKind, sentAt: sentAt, endedAt: ended))
                }
            }
        }

        /// The connections are the run's, closed by `EventTraffic.finish` once the taps drained.
        func close() -> EventLoopFuture<Void> { eventLoop.makeSucceededVoidFuture() }
    }
}
