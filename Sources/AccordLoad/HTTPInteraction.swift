import AccordGRPC
import AccordHTTP
import NIOCore
import NIOHTTP1

/// An HTTP/1.1 request as a load interaction: each worker gets its own keep-alive pool on
/// its event loop (its connections spread over the targets: replicas); constant requests are
/// encoded once and re-sent by reference.
public struct HTTPInteraction: LoadInteraction {
    public let name: String
    public let targets: [HTTPTarget]
    public let connectionsPerWorker: Int
    public let timeout: Duration
    /// The encoded request for sequence number n.
    public let request: @Sendable (UInt64) -> HTTPClientRequest
    /// Where the pools' connection events go (`Connection: close`, closes), for a shutdown's timeline.
    public let connectionEvents: ConnectionEventLog?

    public init(
        name: String, targets: [HTTPTarget], connectionsPerWorker: Int, timeout: Duration,
        connectionEvents: ConnectionEventLog? = nil, request: @escaping @Sendable (UInt64) -> HTTPClientRequest
    ) {
        self.name = name
        self.targets = targets
        self.connectionsPerWorker = connectionsPerWorker
        self.timeout = timeout
        self.connectionEvents = connectionEvents
        self.request = request
    }

    public func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
        Driver(interaction: self, eventLoop: eventLoop)
    }

    final class Driver: LoadInteractionDriver {
        let interaction: HTTPInteraction
        let pool: HTTPConnectionPool

        init(interaction: HTTPInteraction, eventLoop: EventLoop) {
            self.interaction = interaction
            self.pool = HTTPConnectionPool(
                targets: interaction.targets, eventLoop: eventLoop,
                configuration: .init(
                    maxConnections: max(interaction.connectionsPerWorker, interaction.targets.count),
                    requestTimeout: .nanoseconds(interaction.timeout.nanoseconds)))
            pool.delegate = interaction.connectionEvents?.httpObserver(interaction: interaction.name)
        }

        func connect() -> EventLoopFuture<Void> { pool.warmUp(pool.configuration.maxConnections) }

        func start(sequence: UInt64, done: @escaping (RequestOutcome) -> Void) {
            let done = NIOLoopBound(done, eventLoop: pool.eventLoop)
            pool.execute(interaction.request(sequence)).whenSuccess { exchange in
                let t = exchange.timestamps
                let error: String? =
                    switch exchange.result {
                    case .success(let response): response.status < 400 ? nil : "http.\(response.status)"
                    case .failure(let failure): failure.kind.loadErrorKind
                    }
                // A failure before the response has no completion stamp: it ended now.
                let ended = t.complete == 0 ? MonotonicTime.now() : t.complete
                done.value(RequestOutcome(error: error, sentAt: t.written == 0 ? t.intendedStart : t.written, endedAt: ended))
            }
        }

        func close() -> EventLoopFuture<Void> { pool.close() }
    }
}

extension HTTPClientError.Kind {
    /// The same vocabulary as gRPC's error kinds, so a mixed run reads one way.
    var loadErrorKind: String {
        switch self {
        case .connectRefused: "connect_refused"
        case .connectFailed: "connect_failed"
        case .resetBeforeResponse: "reset_before_response"
        case .resetDuringResponse: "reset_during_response"
        case .timeout: "timeout"
        case .malformedResponse: "protocol"
        case .poolClosed: "pool_closed"
        }
    }
}
