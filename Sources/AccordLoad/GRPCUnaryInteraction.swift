import AccordGRPC
import NIOCore

/// A gRPC unary method as a load interaction: each worker gets its own client whose
/// connections live on the worker's event loop (spread over the endpoints: replicas).
public struct GRPCUnaryInteraction: LoadInteraction {
    public let name: String
    public let endpoints: [GRPCClient.Endpoint]
    public let path: String
    public let connectionsPerWorker: Int
    public let timeout: Duration?
    public let metadata: GRPCMetadata
    /// The request message for sequence number n (templating happens here); nil when the
    /// template does not render into a valid message, which counts as a `payload` error.
    public let payload: @Sendable (UInt64) -> ByteBuffer?
    /// The request of every call when it does not change (framed once per worker), else nil.
    public let constantPayload: ByteBuffer?
    /// Where the clients' connection events go (GOAWAY, closes), for a shutdown's timeline.
    public let connectionEvents: ConnectionEventLog?

    /// An interaction whose request is rendered for each call.
    public init(
        name: String, host: String = "127.0.0.1", port: Int, path: String, connectionsPerWorker: Int = 1,
        timeout: Duration? = nil, metadata: GRPCMetadata = GRPCMetadata(),
        payload: @escaping @Sendable (UInt64) -> ByteBuffer?
    ) {
        self.init(
            name: name, endpoints: [GRPCClient.Endpoint(host: host, port: port)], path: path,
            connectionsPerWorker: connectionsPerWorker, timeout: timeout, metadata: metadata, payload: payload)
    }

    /// An interaction that sends the same request on every call.
    public init(
        name: String, host: String = "127.0.0.1", port: Int, path: String, connectionsPerWorker: Int = 1,
        timeout: Duration? = nil, metadata: GRPCMetadata = GRPCMetadata(), request: ByteBuffer
    ) {
        self.init(
            name: name, endpoints: [GRPCClient.Endpoint(host: host, port: port)], path: path,
            connectionsPerWorker: connectionsPerWorker, timeout: timeout, metadata: metadata, request: request)
    }

    /// Over several endpoints (replicas); `request`, when given, is sent on every call and
    /// `payload` is not consulted.
    public init(
        name: String, endpoints: [GRPCClient.Endpoint], path: String, connectionsPerWorker: Int = 1,
        timeout: Duration? = nil, metadata: GRPCMetadata = GRPCMetadata(), connectionEvents: ConnectionEventLog? = nil,
        request: ByteBuffer? = nil, payload: @escaping @Sendable (UInt64) -> ByteBuffer? = { _ in nil }
    ) {
        self.name = name
        self.endpoints = endpoints
        self.path = path
        self.connectionsPerWorker = connectionsPerWorker
        self.timeout = timeout
        self.metadata = metadata
        if let request {
            self.payload = { _ in request }
        } else {
            self.payload = payload
        }
        self.constantPayload = request
        self.connectionEvents = connectionEvents
    }

    public func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
        Driver(interaction: self, eventLoop: eventLoop)
    }

    final class Driver: GRPCWorkerDriver, LoadInteractionDriver {
        let interaction: GRPCUnaryInteraction
        /// Headers built once for the run; a constant request framed once.
        let method: GRPCPreparedMethod
        let constantRequest: GRPCFramedMessage?

        init(interaction: GRPCUnaryInteraction, eventLoop: EventLoop) {
            self.interaction = interaction
            self.constantRequest = interaction.constantPayload.map(GRPCFramedMessage.init)
            let client = GRPCClient(
                configuration: .init(endpoints: interaction.endpoints, connections: interaction.connectionsPerWorker),
                group: eventLoop, onEvent: interaction.connectionEvents?.grpcObserver(interaction: interaction.name))
            self.method = client.prepare(
                path: interaction.path, metadata: interaction.metadata, timeout: interaction.timeout)
            super.init(client: client, eventLoop: eventLoop)
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
