import AccordGRPC
import AccordRPCStatus
import NIOCore
import Synchronization

/// A gRPC method named by a contract as a load interaction: unary or server-streaming, a
/// success being the status its example expects, and each successful response handed to the
/// captures that other entries' templates take from it. (`GRPCUnaryInteraction` stays the lean
/// path for plain unary targets.)
public struct GRPCCallInteraction: LoadInteraction {
    public enum Shape: Sendable {
        case unary
        /// Latency runs to the last response message; messages are counted.
        case serverStreaming
    }

    public let name: String
    /// The service's addresses (its replicas): each worker's connections spread over them.
    public let endpoints: [GRPCClient.Endpoint]
    public let path: String
    public let shape: Shape
    public let connectionsPerWorker: Int
    public let timeout: Duration?
    public let metadata: GRPCMetadata
    /// The status that counts as success (an example may expect NOT_FOUND).
    public let expected: GRPCStatus.Code
    /// The request message for sequence number n, or the error kind it counts as instead.
    public let payload: @Sendable (UInt64) -> Result<ByteBuffer, PayloadFailure>
    /// Sees the last response message of each successful call (to capture values from it).
    public let onSuccess: (@Sendable (ByteBuffer) -> Void)?
    /// Where the clients' connection events go (GOAWAY, closes), for a shutdown's timeline.
    public let connectionEvents: ConnectionEventLog?

    public init(
        name: String, endpoints: [GRPCClient.Endpoint], path: String, shape: Shape = .unary,
        connectionsPerWorker: Int = 1, timeout: Duration? = nil, metadata: GRPCMetadata = GRPCMetadata(),
        expected: GRPCStatus.Code = .ok, connectionEvents: ConnectionEventLog? = nil,
        payload: @escaping @Sendable (UInt64) -> Result<ByteBuffer, PayloadFailure>,
        onSuccess: (@Sendable (ByteBuffer) -> Void)? = nil
    ) {
        self.name = name
        self.endpoints = endpoints
        self.connectionEvents = connectionEvents
        self.path = path
        self.shape = shape
        self.connectionsPerWorker = connectionsPerWorker
        self.timeout = timeout
        self.metadata = metadata
        self.expected = expected
        self.payload = payload
        self.onSuccess = onSuccess
    }

    public func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
        Driver(interaction: self, eventLoop: eventLoop)
    }

    /// The error kind a result counts as: nil when it ended with the expected status.
    func errorKind(of result: GRPCCallResult) -> String? {
        guard case .completed = result.outcome else { return result.errorKind }
        return result.status.code == expected ? nil : "grpc.\(result.status.code.name)"
    }

    final class Driver: GRPCWorkerDriver, LoadInteractionDriver {
        let interaction: GRPCCallInteraction

        init(interaction: GRPCCallInteraction, eventLoop: EventLoop) {
            self.interaction = interaction
            super.init(
                endpoints: interaction.endpoints, connections: interaction.connectionsPerWorker, eventLoop: eventLoop,
                onEvent: interaction.connectionEvents?.grpcObserver(interaction: interaction.name))
        }

        func start(sequence: UInt64, done: @escaping (RequestOutcome) -> Void) {
            let request: ByteBuffer
            switch interaction.payload(sequence) {
            case .success(let message):
                request = message
            case .failure(let failure):
                let now = MonotonicTime.now()
                return done(RequestOutcome(error: failure.kind, sentAt: now, endedAt: now))
            }
            let done = NIOLoopBound(done, eventLoop: eventLoop)
            let interaction = self.interaction
            switch interaction.shape {
            case .unary:
                client.startUnary(
                    path: interaction.path, request: request, metadata: interaction.metadata,
                    timeout: interaction.timeout, on: eventLoop
                ).hop(to: eventLoop).whenSuccess { result in
                    let error = interaction.errorKind(of: result)
                    if error == nil, let response = result.messages.last { interaction.onSuccess?(response) }
                    done.value(
                        RequestOutcome(
                            error: error, sentAt: result.timings.requestSent ?? result.timings.started,
                            endedAt: result.timings.ended))
                }
            case .serverStreaming:
                let tally = StreamTally(keepLast: interaction.onSuccess != nil)
                let promise = eventLoop.makePromise(of: GRPCCallResult.self)
                promise.completeWithTask { [client] in
                    await client.serverStreaming(
                        path: interaction.path, request: request, metadata: interaction.metadata,
                        timeout: interaction.timeout, onMessage: { tally.add($0) })
                }
                promise.futureResult.whenSuccess { result in
                    let error = interaction.errorKind(of: result)
                    let (count, lastAt, last) = tally.state
                    if error == nil, let last { interaction.onSuccess?(last) }
                    done.value(
                        RequestOutcome(
                            error: error, sentAt: result.timings.requestSent ?? result.timings.started,
                            endedAt: error == nil && count > 0 ? lastAt : result.timings.ended, messages: count))
                }
            }
        }
    }
}

/// The messages of one server-streaming call as they arrive: how many, when the last came,
/// and (for captures) the last one.
final class StreamTally: Sendable {
    private let keepLast: Bool
    private let tally = Mutex<(count: UInt32, lastAt: UInt64, last: ByteBuffer?)>((0, 0, nil))

    init(keepLast: Bool) {
        self.keepLast = keepLast
    }

    func add(_ message: ByteBuffer) {
        let now = MonotonicTime.now()
        tally.withLock { tally in
            tally.count += 1
            tally.lastAt = now
            if keepLast { tally.last = message }
        }
    }

    var state: (count: UInt32, lastAt: UInt64, last: ByteBuffer?) { tally.withLock { $0 } }
}
