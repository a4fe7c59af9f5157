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
    /// The encoded request for sequence number n, or the error kind it counts as instead.
    public let request: @Sendable (UInt64) -> Result<HTTPClientRequest, PayloadFailure>
    /// The status a success has (a contract example may expect a 404); nil: any below 400.
    public let expectedStatus: Int?
    /// Sees each successful response (to capture values from it).
    public let onSuccess: (@Sendable (HTTPClientResponse) -> Void)?
    /// Where the pools' connection events go (`Connection: close`, closes), for a shutdown's timeline.
    public let connectionEvents: ConnectionEventLog?

    public init(
        name: String, targets: [HTTPTarget], connectionsPerWorker: Int, timeout: Duration,
        connectionEvents: ConnectionEventLog? = nil, request: @escaping @Sendable (UInt64) -> HTTPClientRequest
    ) {
        self.init(
            name: name, targets: targets, connectionsPerWorker: connectionsPerWorker, timeout: timeout,
            expectedStatus: nil, connectionEvents: connectionEvents, onSuccess: nil, request: { .success(request($0)) })
    }

    public init(
        name: String, targets: [HTTPTarget], connectionsPerWorker: Int, timeout: Duration, expectedStatus: Int?,
        connectionEvents: ConnectionEventLog? = nil, onSuccess: (@Sendable (HTTPClientResponse) -> Void)?,
        request: @escaping @Sendable (UInt64) -> Result<HTTPClientRequest, PayloadFailure>
    ) {
        self.name = name
        self.targets = targets
        self.connectionsPerWorker = connectionsPerWorker
        self.timeout = timeout
        self.expectedStatus = expectedStatus
        self.onSuccess = onSuccess
        self.connectionEvents = connectionEvents
        self.request = request
    }

    /// Its pool connects plain sockets on a `SocketEventLoop`.
    public var runsOnSocketEventLoop: Bool { true }

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
            pool.onEvent = interaction.connectionEvents?.httpObserver(interaction: interaction.name)
        }

        func connect() -> EventLoopFuture<Void> { pool.warmUp(pool.configuration.maxConnections) }

        func start(sequence: UInt64, done: RequestCompletion) {
            let request: HTTPClientRequest
            switch interaction.request(sequence) {
            case .success(let built):
                request = built
            case .failure(let failure):
                let now = MonotonicTime.now()
                return done(RequestOutcome(error: failure.kind, sentAt: now, endedAt: now))
            }
            // The completion runs on this loop and captures the driver and `done`: no promise, hop
            // or copy of the interaction's fields per request.
            pool.execute(request, intendedStart: done.intended) { [self] exchange in
                done(outcome(of: exchange))
            }
        }

        private func outcome(of exchange: HTTPClientExchange) -> RequestOutcome {
            let t = exchange.timestamps
            var error: String?
            switch exchange.result {
            case .success(let response):
                let success = interaction.expectedStatus.map { response.status == $0 } ?? (response.status < 400)
                error = success ? nil : "http.\(response.status)"
                if success { interaction.onSuccess?(response) }
            case .failure(let failure):
                error = failure.kind.loadErrorKind
            }
            // A failure before the response has no completion stamp: it ended now.
            let ended = t.complete == 0 ? MonotonicTime.now() : t.complete
            return RequestOutcome(error: error, sentAt: t.written == 0 ? t.intendedStart : t.written, endedAt: ended)
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
