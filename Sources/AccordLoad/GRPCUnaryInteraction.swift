import AccordGRPC
import NIOCore

/// A gRPC unary method as a load interaction: each worker gets its own client whose
/// connections live on the worker's event loop.
public struct GRPCUnaryInteraction: LoadInteraction {
    public let name: String
    public let host: String
    public let port: Int
    public let path: String
    public let connectionsPerWorker: Int
    public let timeout: Duration?
    public let metadata: GRPCMetadata
    /// The request message for sequence number n (templating happens here); nil when the
    /// template does not render into a valid message, which counts as a `payload` error.
    public let payload: @Sendable (UInt64) -> ByteBuffer?
    /// The request of every call when it does not change (framed once per worker), else nil.
    public let constantPayload: ByteBuffer?

    /// An interaction whose request is rendered for each call.
    public init(
        name: String, host: String = "127.0.0.1", port: Int, path: String, connectionsPerWorker: Int = 1,
        timeout: Duration? = nil, metadata: GRPCMetadata = GRPCMetadata(),
        payload: @escaping @Sendable (UInt64) -> ByteBuffer?
    ) {
        self.init(
            name: name, target: (host, port, path), connectionsPerWorker: connectionsPerWorker, timeout: timeout,
            metadata: metadata, payload: payload, constantPayload: nil)
    }

    /// An interaction that sends the same request on every call.
    public init(
        name: String, host: String = "127.0.0.1", port: Int, path: String, connectionsPerWorker: Int = 1,
        timeout: Duration? = nil, metadata: GRPCMetadata = GRPCMetadata(), request: ByteBuffer
    ) {
        self.init(
            name: name, target: (host, port, path), connectionsPerWorker: connectionsPerWorker, timeout: timeout,
            metadata: metadata, payload: { _ in request }, constantPayload: request)
    }

    private init(
        name: String, target: (host: String, port: Int, path: String), connectionsPerWorker: Int,
        timeout: Duration?, metadata: GRPCMetadata, payload: @escaping @Sendable (UInt64) -> ByteBuffer?,
        constantPayload: ByteBuffer?
    ) {
        self.name = name
        self.host = target.host
        self.port = target.port
        self.path = target.path
        self.connectionsPerWorker = connectionsPerWorker
        self.timeout = timeout
        self.metadata = metadata
        self.payload = payload
        self.constantPayload = constantPayload
    }

    public func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
        Driver(interaction: self, eventLoop: eventLoop)
    }

    final class Driver: LoadInteractionDriver {
        let interaction: GRPCUnaryInteraction
        let eventLoop: EventLoop
        let client: GRPCClient
        /// Headers built once for the run; a constant request framed once.
        let method: GRPCPreparedMethod
        let constantRequest: GRPCFramedMessage?

        init(interaction: GRPCUnaryInteraction, eventLoop: EventLoop) {
            self.interaction = interaction
            self.eventLoop = eventLoop
            self.client = GRPCClient(
                configuration: .init(
                    host: interaction.host, port: interaction.port, connections: interaction.connectionsPerWorker),
                group: eventLoop)
            self.method = client.prepare(
                path: interaction.path, metadata: interaction.metadata, timeout: interaction.timeout)
            self.constantRequest = interaction.constantPayload.map(GRPCFramedMessage.init)
        }

        func connect() -> EventLoopFuture<Void> {
            let promise = eventLoop.makePromise(of: Void.self)
            promise.completeWithTask { [client] in try await client.connectAll() }
            return promise.futureResult
        }

        func start(sequence: UInt64, done: @escaping (RequestOutcome) -> Void) {
            guard let request = constantRequest ?? interaction.payload(sequence).map(GRPCFramedMessage.init) else {
                let now = MonotonicTime.now()
                return done(RequestOutcome(error: "payload", sentAt: now, endedAt: now))
            }
            client.startUnary(method, request: request, on: eventLoop) { result in
                done(RequestOutcome(
                    error: result.errorKind, sentAt: result.timings.requestSent ?? result.timings.started,
                    endedAt: result.timings.ended))
            }
        }

        func close() -> EventLoopFuture<Void> {
            let promise = eventLoop.makePromise(of: Void.self)
            promise.completeWithTask { [client] in await client.close() }
            return promise.futureResult
        }
    }
}

extension GRPCCallResult {
    /// The error kind a load report counts this call under, nil for success.
    public var errorKind: String? {
        switch outcome {
        case .completed: status.code == .ok ? nil : "grpc.\(status.code.name)"
        case .refused: "refused"
        case .reset(let code): "reset.\(code)"
        case .connectionLost: "connection_lost"
        case .connectFailed: "connect_failed"
        case .deadlineExceeded: "timeout"
        case .protocolViolation: "protocol"
        }
    }
}
