import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// A gRPC server over HTTP/2 cleartext (h2c, prior knowledge) on libnghttp2.
///
/// Routes `/package.Service/Method` to handlers; unknown paths get UNIMPLEMENTED. Shutdown
/// is graceful: the listener closes (new connections are refused), every connection does
/// the two-GOAWAY dance, in-flight calls finish within the grace period, and what remains
/// after it is reset.
public final class GRPCServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port; `start()` returns the one bound.
        public var port: Int
        /// Request messages above this size end the call with RESOURCE_EXHAUSTED.
        public var maxMessageSize: Int
        public var settings: HTTP2Settings
        /// Complete request messages a handler has not read yet, beyond which the client
        /// gets no more flow-control credit.
        public var maxBufferedRequestBytes: Int
        /// Response bytes queued per stream beyond which `send` suspends.
        public var maxBufferedResponseBytes: Int
        /// How long the first GOAWAY waits for its PING ack before the final GOAWAY.
        public var shutdownPingTimeout: TimeAmount
        /// How long in-flight calls get to finish when `run()` sees a graceful shutdown.
        public var gracePeriod: Duration

        public init(
            host: String = "127.0.0.1", port: Int = 0, maxMessageSize: Int = 4 << 20,
            settings: HTTP2Settings = HTTP2Settings(), maxBufferedRequestBytes: Int = 1 << 20,
            maxBufferedResponseBytes: Int = 256 << 10, shutdownPingTimeout: TimeAmount = .seconds(1),
            gracePeriod: Duration = .seconds(10)
        ) {
            self.host = host
            self.port = port
            self.maxMessageSize = maxMessageSize
            self.settings = settings
            self.maxBufferedRequestBytes = maxBufferedRequestBytes
            self.maxBufferedResponseBytes = maxBufferedResponseBytes
            self.shutdownPingTimeout = shutdownPingTimeout
            self.gracePeriod = gracePeriod
        }
    }

    public struct AlreadyStarted: Error {}

    private struct State {
        var listener: Channel?
        var connections: [ObjectIdentifier: Channel] = [:]
    }

    public let configuration: Configuration
    private let handlers: [String: GRPCHandler]
    private let group: EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())

    public init(
        configuration: Configuration = Configuration(), handlers: [String: GRPCHandler],
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "accord.grpc.server")
    ) {
        self.configuration = configuration
        self.handlers = handlers
        self.group = group
        self.logger = logger
    }

    /// Binds and starts accepting; returns the bound port.
    @discardableResult
    public func start() async throws -> Int {
        let configuration = self.configuration, handlers = self.handlers, logger = self.logger
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        GRPCServerConnectionHandler(configuration: configuration, handlers: handlers, logger: logger))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        try state.withLock { state in
            guard state.listener == nil else { throw AlreadyStarted() }
            state.listener = listener
        }
        let port = listener.localAddress?.port ?? configuration.port
        logger.info("gRPC server listening", metadata: [LogKey.address: "\(configuration.host):\(port)"])
        return port
    }

    private func track(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.connections[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLock { _ = $0.connections.removeValue(forKey: id) }
        }
    }

    /// Open client connections.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Stops accepting, lets in-flight calls finish for up to `grace`, then resets what is
    /// left; returns once every connection is closed.
    public func shutdown(grace: Duration = .seconds(10)) async {
        let (listener, connections) = state.withLock { state in
            defer { state.listener = nil }
            return (state.listener, Array(state.connections.values))
        }
        try? await listener?.close()
        logger.info("gRPC server shutting down", metadata: [LogKey.connections: "\(connections.count)"])
        for channel in connections {
            channel.pipeline.triggerUserOutboundEvent(GRPCServerConnectionEvent.shutdownGracefully, promise: nil)
        }
        let eventLoop = group.any()
        let force = eventLoop.scheduleTask(in: .nanoseconds(grace.nanoseconds)) {
            for channel in connections {
                channel.pipeline.triggerUserOutboundEvent(GRPCServerConnectionEvent.forceClose, promise: nil)
            }
        }
        _ = try? await EventLoopFuture.andAllComplete(connections.map(\.closeFuture), on: eventLoop).get()
        force.cancel()
    }
}

extension GRPCServer: Service {
    /// Serves until the service group's graceful shutdown (SIGTERM/SIGINT in the CLI), then
    /// drains for `configuration.gracePeriod`. Binds first unless `start()` already did.
    public func run() async throws {
        if state.withLock({ $0.listener == nil }) { try await start() }
        // Throws on cancellation as well as returning on graceful shutdown: either way, drain.
        try? await gracefulShutdown()
        await shutdown(grace: configuration.gracePeriod)
    }
}
