import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 server: keep-alive, pipelining, routing by method and path template, limits on
/// header and body size, and graceful shutdown (stop accepting, finish and answer what is in
/// flight with `Connection: close`, close idle connections).
///
/// Use it as a `Service` (`run()` returns after a graceful shutdown or cancellation), or drive it
/// with `start()` and `shutdown(grace:)`.
public final class HTTPServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port; `start()` returns the address it got.
        public var port: Int
        public var maxBodyBytes: Int
        /// The request line and all header names and values together; more is answered 431.
        public var maxHeaderBytes: Int
        /// A connection that sends nothing this long is closed (idle) or answered 408 (mid-request).
        public var idleTimeout: TimeAmount
        /// How long a closing connection drains the peer's input before closing for good.
        public var lingerTime: TimeAmount
        public var backlog: Int32

        public init(
            host: String = "127.0.0.1", port: Int = 0, maxBodyBytes: Int = 1 << 20, maxHeaderBytes: Int = 16 << 10,
            idleTimeout: TimeAmount = .seconds(60), lingerTime: TimeAmount = .seconds(2), backlog: Int32 = 1024
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.idleTimeout = idleTimeout
            self.lingerTime = lingerTime
            self.backlog = backlog
        }
    }

    /// Why the server could not start or stop as asked.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let underlying: (any Error)?
        public var description: String { underlying.map { "\(message): \($0)" } ?? message }
    }

    private enum Phase {
        case created
        case running(server: Channel)
        case shuttingDown
        case stopped
    }

    private struct State {
        var phase: Phase = .created
        var connections: [ObjectIdentifier: Channel] = [:]
        /// `run()` callers waiting for the shutdown to complete.
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let configuration: Configuration
    private let router: HTTPRouter
    private let group: EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State())

    public init(
        router: HTTPRouter, configuration: Configuration = Configuration(),
        eventLoopGroup: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) {
        self.router = router
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
    }

    /// Binds and starts accepting; returns the bound address.
    @discardableResult
    public func start() async throws(Failure) -> SocketAddress {
        let configuration = self.configuration
        let router = self.router
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: configuration.backlog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { [weak self] channel in
                guard let self else { return channel.eventLoop.makeSucceededVoidFuture() }
                return channel.eventLoop.makeCompletedFuture {
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderListSize = configuration.maxHeaderBytes
                    limits.maxHeaderFieldSize = configuration.maxHeaderBytes
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(IdleStateHandler(readTimeout: configuration.idleTimeout))
                    try sync.addHandler(HTTPResponseEncoder())
                    try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(
                        leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                        limitConfiguration: limits)))
                    try sync.addHandler(HTTPServerConnectionHandler(
                        router: router, maxBodyBytes: configuration.maxBodyBytes,
                        lingerTime: configuration.lingerTime, logger: logger))
                    self.register(channel)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw Failure(message: "cannot listen on \(configuration.host):\(configuration.port)", underlying: error)
        }
        let accepted = state.withLock { state -> Bool in
            guard case .created = state.phase else { return false }
            state.phase = .running(server: channel)
            return true
        }
        guard accepted, let address = channel.localAddress else {
            channel.close(promise: nil)
            throw Failure(message: "the server was already started", underlying: nil)
        }
        logger.info("listening", metadata: [HTTPLogKey.address: "\(address)"])
        return address
    }

    /// The bound address while running.
    public var localAddress: SocketAddress? {
        state.withLock { if case .running(let server) = $0.phase { server.localAddress } else { nil } }
    }

    /// Connections open right now.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Stops accepting, asks every connection to finish what it has in flight and close, waits for
    /// them up to `grace`, then closes whatever is left.
    public func shutdown(grace: Duration = .seconds(10)) async {
        let (server, connections) = state.withLock { state -> (Channel?, [Channel]) in
            switch state.phase {
            case .running(let server):
                state.phase = .shuttingDown
                return (server, Array(state.connections.values))
            case .created:
                state.phase = .stopped
                return (nil, [])
            case .shuttingDown, .stopped:
                return (nil, Array(state.connections.values))
            }
        }
        if let server { try? await server.close() }
        for channel in connections {
            channel.pipeline.fireUserInboundEventTriggered(HTTPServerShutdownEvent())
        }
        let drainedInTime = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitUntilDrained()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: grace)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !drainedInTime {
            let left = state.withLock { Array($0.connections.values) }
            logger.info("grace period over, closing connections", metadata: ["http.connections": "\(left.count)"])
            for channel in left { channel.close(promise: nil) }
            await waitUntilDrained()
        }
        let waiters = state.withLock { state in
            state.phase = .stopped
            return state.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
        logger.info("stopped")
    }

    /// Runs until the service group shuts down gracefully or the task is cancelled, then shuts down.
    public func run() async throws {
        try await start()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await waitUntilStopped()
            } onCancel: {
                Task { await self.shutdown() }
            }
        } onGracefulShutdown: {
            Task { await self.shutdown() }
        }
    }

    private func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopped = state.withLock { state -> Bool in
                if case .stopped = state.phase { return true }
                state.stopWaiters.append(continuation)
                return false
            }
            if stopped { continuation.resume() }
        }
    }

    /// Returns once no connection is left; only meaningful after shutdown began.
    private func waitUntilDrained() async {
        while !Task.isCancelled && connectionCount > 0 {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func register(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        let shuttingDown = state.withLock { state -> Bool in
            state.connections[id] = channel
            if case .running = state.phase { return false }
            return true
        }
        // Accepted while shutdown began: it gets the same treatment as the others.
        if shuttingDown { channel.pipeline.fireUserInboundEventTriggered(HTTPServerShutdownEvent()) }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }
}
