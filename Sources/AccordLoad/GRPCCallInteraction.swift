import AccordGRPC
import AccordRPCStatus
import NIOCore
import Synchronization

/// A gRPC method as a load interaction: unary or server-streaming, a success being the status
/// it expects (an example may expect NOT_FOUND), and each successful response handed to the
/// captures that other entries' templates take from it. Unary calls take the client's lean
/// path: headers prepared once per worker, a constant request framed once, a callback per call.
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
    /// The request of every call when it does not change (framed once per worker), else nil.
    public let constantRequest: ByteBuffer?
    /// Sees the last response message of each successful call (to capture values from it).
    public let onSuccess: (@Sendable (ByteBuffer) -> Void)?
    /// Where the clients' connection events go (GOAWAY, closes), for a shutdown's timeline.
    public let connectionEvents: ConnectionEventLog?

    public init(
        name: String, endpoints: [GRPCClient.Endpoint], path: String, shape: Shape = .unary,
        connectionsPerWorker: Int = 1, timeout: Duration? = nil, metadata: GRPCMetadata = GRPCMetadata(),
        expected: GRPCStatus.Code = .ok, connectionEvents: ConnectionEventLog? = nil,
        constantRequest: ByteBuffer? = nil,
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
        self.constantRequest = constantRequest
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

    /// A worker's: a client whose connections all live on the worker's event loop, opened
    /// before the run and closed after it.
    final class Driver: LoadInteractionDriver {
        let interaction: GRPCCallInteraction
        let eventLoop: EventLoop
        let client: GRPCClient
        /// Headers built once for the run; a constant request framed once.
        let method: GRPCPreparedMethod
        let constantRequest: GRPCFramedMessage?

        init(interaction: GRPCCallInteraction, eventLoop: EventLoop) {
            self.interaction = interaction
            self.eventLoop = eventLoop
            self.constantRequest = interaction.constantRequest.map(GRPCFramedMessage.init)
            client = GRPCClient(
                configuration: .init(endpoints: interaction.endpoints, connections: interaction.connectionsPerWorker),
                group: eventLoop, onEvent: interaction.connectionEvents?.grpcObserver(interaction: interaction.name))
            method = client.prepare(
                path: interaction.path, metadata: interaction.metadata, timeout: interaction.timeout)
        }

        func connect() -> EventLoopFuture<Void> {
            let promise = eventLoop.makePromise(of: Void.self)
            promise.completeWithTask { [client] in try await client.connectAll() }
            return promise.futureResult
        }

        func close() -> EventLoopFuture<Void> {
            let promise = eventLoop.makePromise(of: Void.self)
            promise.completeWithTask { [client] in await client.close() }
            return promise.futureResult
        }

        func start(sequence: UInt64, done: RequestCompletion) {
            if interaction.shape == .unary, let constantRequest { return startUnary(constantRequest, done: done) }
            let request: ByteBuffer
            switch interaction.payload(sequence) {
            case .success(let message):
                request = message
            case .failure(let failure):
                let now = MonotonicTime.now()
                return done(RequestOutcome(error: failure.kind, sentAt: now, endedAt: now))
            }
            switch interaction.shape {
            case .unary:
                startUnary(GRPCFramedMessage(request), done: done)
            case .serverStreaming:
                startStreaming(request, done: done)
            }
        }

        /// On the worker's loop, with the prepared headers; the completion runs on that loop.
        private func startUnary(_ request: GRPCFramedMessage, done: RequestCompletion) {
            // Captures the driver alone: a copy of the interaction would retain each of its fields per call.
            client.startUnary(method, request: request, on: eventLoop) { [self] result in
                let error = interaction.errorKind(of: result)
                if error == nil, let onSuccess = interaction.onSuccess, let response = result.messages.last {
                    onSuccess(response)
                }
                done(RequestOutcome(
                    error: error, sentAt: result.timings.requestSent ?? result.timings.started,
                    endedAt: result.timings.ended))
            }
        }

        private func startStreaming(_ request: ByteBuffer, done: RequestCompletion) {
            let done = NIOLoopBound(done, eventLoop: eventLoop)
            let interaction = self.interaction
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
