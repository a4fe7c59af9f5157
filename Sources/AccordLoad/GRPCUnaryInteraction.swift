import AccordGRPC
import NIOCore

/// A gRPC unary method on a running server as a load interaction (a profile's `grpc:` entry):
/// each worker gets its own client whose connections live on the worker's event loop (spread
/// over the endpoints: replicas). A success is OK.
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

    /// Driven as any gRPC call of a mix: a request that does not render counts as `payload`.
    public func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
        let payload = self.payload
        return GRPCCallInteraction(
            name: name, endpoints: endpoints, path: path, connectionsPerWorker: connectionsPerWorker,
            timeout: timeout, metadata: metadata, connectionEvents: connectionEvents, constantRequest: constantPayload,
            payload: { sequence in payload(sequence).map { .success($0) } ?? .failure(.payload) }
        ).makeDriver(on: eventLoop)
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
