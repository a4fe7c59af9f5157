import NIOCore
import NIOPosix

/// Keep-alive connections to one target (or several replicas of it), for load: requests go to an
/// idle connection or wait in order for the next one; connections open on demand up to the maximum
/// and again after the peer closes them, each to the next target in turn, so traffic keeps flowing
/// to the other replicas while one restarts. Everything happens on one event loop, without locks:
/// call it on `eventLoop` only. Use one pool per event loop to spread load over cores. On a
/// `SocketEventLoop` its connections are plain sockets (the load engine's lean path); on NIO's
/// loops, channels.
public final class HTTPConnectionPool {
    public struct Configuration: Sendable {
        public var maxConnections: Int
        /// From the write to the end of the response.
        public var requestTimeout: TimeAmount
        public var connectTimeout: TimeAmount

        public init(
            maxConnections: Int = 8, requestTimeout: TimeAmount = .seconds(10),
            connectTimeout: TimeAmount = .seconds(2)
        ) {
            self.maxConnections = maxConnections
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
        }
    }

    /// Where a request's outcome goes; called once, on the pool's event loop.
    public typealias Completion = (HTTPClientExchange) -> Void

    private struct Waiting {
        let request: HTTPClientRequest
        let completion: Completion
        let intendedStart: UInt64
    }

    /// Where connections go, in turn.
    public let targets: [HTTPTarget]
    public let eventLoop: EventLoop
    public let configuration: Configuration
    /// Sees every connection event, on the pool's event loop (for a shutdown's timeline); held
    /// until `close()`.
    public var onEvent: ((HTTPConnectionEvent) -> Void)?
    /// Connection events so far, by kind.
    public private(set) var eventCounts = HTTPConnectionEventCounts()

    // Event-loop-only state, without dynamic exclusivity checks (see HTTPClientConnection).
    @exclusivity(unchecked) private var connections: [HTTPClientConnection] = []
    @exclusivity(unchecked) private var idle: [HTTPClientConnection] = []
    @exclusivity(unchecked) private var connecting = 0
    @exclusivity(unchecked) private var waiting = CircularBuffer<Waiting>(initialCapacity: 64)
    private var nextConnectionID = 0
    private var nextTarget = 0
    @exclusivity(unchecked) private var closed = false

    public convenience init(target: HTTPTarget, eventLoop: EventLoop, configuration: Configuration = Configuration()) {
        self.init(targets: [target], eventLoop: eventLoop, configuration: configuration)
    }

    /// Connections are spread over `targets` (replicas of one service), one after the other.
    public init(targets: [HTTPTarget], eventLoop: EventLoop, configuration: Configuration = Configuration()) {
        precondition(!targets.isEmpty, "an HTTP pool needs a target")
        self.targets = targets
        self.eventLoop = eventLoop
        self.configuration = configuration
        idle.reserveCapacity(configuration.maxConnections)
    }

    /// Requests written and not answered yet, on all connections.
    public var inFlight: Int { connections.reduce(0) { $0 + $1.inFlight.count } }
    /// Requests waiting for a connection.
    public var queued: Int { waiting.count }
    public var openConnections: Int { connections.count }

    /// Sends `request`; `completion` gets its outcome on the pool's event loop (the load path: no
    /// promise or hop per request). `intendedStart` (an `HTTPClock` time) is when the schedule
    /// wanted it sent.
    public func execute(
        _ request: HTTPClientRequest, intendedStart: UInt64, completion: @escaping Completion
    ) {
        // Checked in debug builds only: this is the per-request path (the future overload and
        // every other entry point check in release builds too).
        eventLoop.assertInEventLoop()
        guard !closed else {
            fail(completion, HTTPClientError(.poolClosed, "the pool was closed"),
                 timestamps: HTTPRequestTimestamps(intendedStart: intendedStart))
            return
        }
        if waiting.isEmpty, let connection = idle.popLast() {
            connection.send(request, completion: completion, intendedStart: intendedStart)
            return
        }
        waiting.append(Waiting(request: request, completion: completion, intendedStart: intendedStart))
        if connections.count + connecting < configuration.maxConnections && connecting < waiting.count {
            _ = openConnection()
        }
    }

    /// Sends `request`; its outcome completes the returned future (never failed: errors are in the result).
    public func execute(
        _ request: HTTPClientRequest, intendedStart: UInt64? = nil
    ) -> EventLoopFuture<HTTPClientExchange> {
        eventLoop.preconditionInEventLoop()
        let promise = eventLoop.makePromise(of: HTTPClientExchange.self)
        execute(request, intendedStart: intendedStart ?? HTTPClock.now()) { promise.succeed($0) }
        return promise.futureResult
    }

    /// Opens connections until `count` (at most the maximum) are open; succeeds when they are.
    public func warmUp(_ count: Int) -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        let wanted = min(count, configuration.maxConnections) - connections.count - connecting
        guard wanted > 0 else { return eventLoop.makeSucceededVoidFuture() }
        let futures = (0..<wanted).map { _ in openConnection() }
        return EventLoopFuture.andAllSucceed(futures, on: eventLoop)
    }

    /// Fails what waits, closes every connection (what is in flight fails as reset); succeeds when
    /// all are closed.
    public func close() -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        closed = true
        defer { onEvent = nil }
        while let entry = waiting.popFirst() {
            fail(entry.completion, HTTPClientError(.poolClosed, "the pool was closed"),
                 timestamps: HTTPRequestTimestamps(intendedStart: entry.intendedStart))
        }
        let futures = connections.map { connection -> EventLoopFuture<Void> in
            connection.close()
            return connection.closeFuture ?? eventLoop.makeSucceededVoidFuture()
        }
        return EventLoopFuture.andAllComplete(futures, on: eventLoop)
    }

    @discardableResult
    private func openConnection() -> EventLoopFuture<Void> {
        connecting += 1
        nextConnectionID += 1
        let target = targets[nextTarget % targets.count]
        nextTarget += 1
        let connection = HTTPClientConnection(
            id: nextConnectionID, target: target, pool: self, timeout: configuration.requestTimeout)
        // On Accord's own loop, a plain socket; on NIO's, a channel.
        let connected = if let socketLoop = eventLoop as? SocketEventLoop {
            HTTPClientSocket.connect(connection, on: socketLoop, timeout: configuration.connectTimeout)
        } else {
            HTTPClientChannelHandler.connect(connection, on: eventLoop, timeout: configuration.connectTimeout)
        }
        return connected.assumeIsolated().map { closeFuture in
            self.connecting -= 1
            connection.closeFuture = closeFuture
            self.connections.append(connection)
            self.record(.connected, connection: connection, at: HTTPClock.now())
            if self.closed { connection.close() } else { self.ready(connection) }
        }.flatMapErrorThrowing { error in
            self.connecting -= 1
            throw self.connectFailed(error, connection: connection)
        }.nonisolated()
    }

    /// Records the failure and returns it as the pool reports it: the target and the reason in words.
    private func connectFailed(_ error: Error, connection: HTTPClientConnection) -> HTTPClientError {
        let refused = Self.isConnectionRefused(error)
        record(refused ? .connectRefused : .connectFailed, connection: connection, at: HTTPClock.now())
        let failure = HTTPClientError(
            refused ? .connectRefused : .connectFailed, "\(connection.target): \(Self.reason(error))")
        // With no connection left to serve them, waiting requests fail now rather than pile up
        // while the target is down; the next request tries to connect again.
        guard connections.isEmpty && connecting == 0 else { return failure }
        while let entry = waiting.popFirst() {
            fail(entry.completion, failure, timestamps: HTTPRequestTimestamps(intendedStart: entry.intendedStart))
        }
        return failure
    }

    /// A connection can take a request: the oldest waiting one, or it goes idle.
    private func ready(_ connection: HTTPClientConnection) {
        guard connection.reusable && connection.isActive && connection.inFlight.isEmpty else { return }
        if let entry = waiting.popFirst() {
            connection.send(entry.request, completion: entry.completion, intendedStart: entry.intendedStart)
        } else {
            idle.append(connection)
        }
    }

    // MARK: - Called by connections

    func completed(
        _ completion: Completion, _ result: Result<HTTPClientResponse, HTTPClientError>,
        timestamps: HTTPRequestTimestamps, on connection: HTTPClientConnection
    ) {
        // Hand the connection on first, so a completion that sends the next request finds it idle.
        ready(connection)
        completion(HTTPClientExchange(timestamps: timestamps, result: result))
    }

    func fail(_ completion: Completion, _ error: HTTPClientError, timestamps: HTTPRequestTimestamps) {
        completion(HTTPClientExchange(timestamps: timestamps, result: .failure(error)))
    }

    func record(_ kind: HTTPConnectionEvent.Kind, connection: HTTPClientConnection, at time: UInt64) {
        eventCounts.record(kind)
        onEvent?(HTTPConnectionEvent(kind: kind, time: time, connection: connection.id, target: connection.target))
    }

    func connectionClosed(_ connection: HTTPClientConnection) {
        connections.removeAll { $0 === connection }
        idle.removeAll { $0 === connection }
        if !closed && !waiting.isEmpty && connections.count + connecting < configuration.maxConnections {
            openConnection()
        }
    }

    /// NIO's descriptions of socket errors read "connection reset (error set): Connection refused)
    /// (errno: 111)"; a user wants "connection refused".
    private static func reason(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if case ChannelError.connectTimeout(let timeout) = error {
            return "no connection within \(timeout.nanoseconds / 1_000_000) ms"
        }
        if let multiple = error as? NIOConnectionError, !multiple.connectionErrors.isEmpty {
            return multiple.connectionErrors.map { "\($0.target): \(reason($0.error))" }.joined(separator: "; ")
        }
        return "\(error)"
    }

    private static func isConnectionRefused(_ error: Error) -> Bool {
        if let io = error as? IOError { return io.errnoCode == ECONNREFUSED }
        if let multiple = error as? NIOConnectionError {
            return !multiple.connectionErrors.isEmpty
                && multiple.connectionErrors.allSatisfy { isConnectionRefused($0.error) }
        }
        return false
    }
}
