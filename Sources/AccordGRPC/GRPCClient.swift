import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A gRPC client over HTTP/2 cleartext (h2c, prior knowledge) on libnghttp2, spreading
/// calls round-robin over a pool of connections (themselves spread over the endpoints, so
/// calls keep flowing to the other replicas of a service while one restarts).
///
/// Calls never throw for RPC failures: the result carries the status, how the call ended
/// (`GRPCCallOutcome`) and its timings, which is what a load test records. A connection
/// that received GOAWAY or closed is replaced on the next call; streams above a peer's
/// SETTINGS_MAX_CONCURRENT_STREAMS wait in nghttp2's queue, never exceeding the limit.
public final class GRPCClient: Sendable {
    /// Where a server listens.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public struct Configuration: Sendable {
        /// Connection i goes to `endpoints[i % endpoints.count]`.
        public var endpoints: [Endpoint]
        public var connections: Int
        public var settings: HTTP2Settings
        public var maxMessageSize: Int
        public var connectTimeout: TimeAmount

        public init(
            host: String = "127.0.0.1", port: Int, connections: Int = 1,
            settings: HTTP2Settings = HTTP2Settings(maxConcurrentStreams: 100),
            maxMessageSize: Int = 4 << 20, connectTimeout: TimeAmount = .seconds(5)
        ) {
            self.init(
                endpoints: [Endpoint(host: host, port: port)], connections: connections, settings: settings,
                maxMessageSize: maxMessageSize, connectTimeout: connectTimeout)
        }

        /// Several endpoints (replicas): each gets at least one of the `connections`.
        public init(
            endpoints: [Endpoint], connections: Int = 1,
            settings: HTTP2Settings = HTTP2Settings(maxConcurrentStreams: 100),
            maxMessageSize: Int = 4 << 20, connectTimeout: TimeAmount = .seconds(5)
        ) {
            precondition(!endpoints.isEmpty, "a gRPC client needs an endpoint")
            self.endpoints = endpoints
            self.connections = max(1, connections, endpoints.count)
            self.settings = settings
            self.maxMessageSize = maxMessageSize
            self.connectTimeout = connectTimeout
        }
    }

    public let configuration: Configuration
    private let group: EventLoopGroup
    private let logger: Logger
    private let onEvent: (@Sendable (GRPCConnectionEvent) -> Void)?
    private let slots: [ConnectionSlot]
    private let picker: SlotPicker
    private let connectionCounter = Atomic<Int>(0)

    /// `onEvent` observes GOAWAY, resets and closes on every connection (called on event loops).
    public init(
        configuration: Configuration, group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "accord.grpc.client"),
        onEvent: (@Sendable (GRPCConnectionEvent) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.onEvent = onEvent
        self.slots = (0..<configuration.connections).map { index in
            ConnectionSlot(endpoint: configuration.endpoints[index % configuration.endpoints.count])
        }
        self.picker = SlotPicker(count: configuration.connections)
    }

    /// A unary call: one request message, one response message.
    public func unary(
        path: String, request: ByteBuffer, metadata: GRPCMetadata = GRPCMetadata(), timeout: Duration? = nil
    ) async -> GRPCCallResult {
        await call(path: path, messages: [request], metadata: metadata, timeout: timeout, sink: .collect)
    }

    /// A server-streaming call. Responses go to `onMessage` as they arrive (on an event
    /// loop: keep it short), or are collected in the result when it is nil.
    public func serverStreaming(
        path: String, request: ByteBuffer, metadata: GRPCMetadata = GRPCMetadata(), timeout: Duration? = nil,
        onMessage: (@Sendable (ByteBuffer) -> Void)? = nil
    ) async -> GRPCCallResult {
        await call(
            path: path, messages: [request], metadata: metadata, timeout: timeout,
            sink: onMessage.map { .callback($0) } ?? .collect)
    }

    /// A client-streaming or bidirectional call: send messages, then `finish()`, while
    /// reading `responses`; `result()` gives the status.
    public func makeStreamingCall(
        path: String, metadata: GRPCMetadata = GRPCMetadata(), timeout: Duration? = nil
    ) async -> GRPCStreamingCall {
        let (responses, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let request = GRPCClientRequest(
            headers: requestHeaders(path: path, metadata: metadata, timeout: timeout), timeout: timeout, body: nil,
            endStream: false, startedAt: MonotonicTime.now())
        switch await connection(startedAt: request.startedAt) {
        case .success(let handler):
            do {
                let (streamID, result) = try await handler.eventLoop.submit {
                    handler.value.startCall(request, sink: .stream(continuation))
                }.get()
                return GRPCStreamingCall(handler: handler, streamID: streamID, responses: responses, result: result)
            } catch {
                continuation.finish()
                let failed = Self.failed(startedAt: request.startedAt, outcome: .connectionLost, "\(error)")
                return GRPCStreamingCall(handler: nil, streamID: nil, responses: responses, result: nil, failed: failed)
            }
        case .failure(let failed):
            continuation.finish()
            return GRPCStreamingCall(handler: nil, streamID: nil, responses: responses, result: nil, failed: failed)
        }
    }

    func call(
        path: String, messages: [ByteBuffer], metadata: GRPCMetadata, timeout: Duration?, sink: GRPCResponseSink
    ) async -> GRPCCallResult {
        let startedAt = MonotonicTime.now()
        var body = ByteBuffer()
        for message in messages { GRPCMessageFramer.frame(message, into: &body) }
        let request = GRPCClientRequest(
            headers: requestHeaders(path: path, metadata: metadata, timeout: timeout), timeout: timeout, body: body,
            endStream: true, startedAt: startedAt)
        return await call(request, sink: sink)
    }

    private func call(_ request: GRPCClientRequest, sink: GRPCResponseSink) async -> GRPCCallResult {
        switch await connection(startedAt: request.startedAt) {
        case .success(let handler):
            do {
                return try await handler.eventLoop.flatSubmit { handler.value.startCall(request, sink: sink).result }
                    .get()
            } catch {
                return Self.failed(startedAt: request.startedAt, outcome: .connectionLost, "\(error)")
            }
        case .failure(let result):
            return result
        }
    }

    /// Starts a unary call from code on an event loop (the load generator), without a task:
    /// when the pooled connection lives on the calling loop, the call goes straight to it.
    public func startUnary(
        path: String, request: ByteBuffer, metadata: GRPCMetadata = GRPCMetadata(), timeout: Duration? = nil,
        on eventLoop: EventLoop
    ) -> EventLoopFuture<GRPCCallResult> {
        let promise = eventLoop.makePromise(of: GRPCCallResult.self)
        startUnary(
            prepare(path: path, metadata: metadata, timeout: timeout), request: GRPCFramedMessage(request),
            on: eventLoop, completion: .promise(promise))
        return promise.futureResult
    }

    /// A method's request headers, built once for every call made with the result.
    public func prepare(
        path: String, metadata: GRPCMetadata = GRPCMetadata(), timeout: Duration? = nil
    ) -> GRPCPreparedMethod {
        GRPCPreparedMethod(
            path: path, metadata: metadata, timeout: timeout,
            headers: requestHeaders(path: path, metadata: metadata, timeout: timeout))
    }

    /// The load generator's unary call: a prepared method and an already framed request,
    /// started on `eventLoop`, whose `completion` runs on `eventLoop` (never from inside this
    /// call). When the pooled connection lives on that loop, no promise, future or task is
    /// made for the call.
    public func startUnary(
        _ method: GRPCPreparedMethod, request: GRPCFramedMessage, on eventLoop: EventLoop,
        completion: @escaping (GRPCCallResult) -> Void
    ) {
        eventLoop.assertInEventLoop()
        startUnary(method, request: request, on: eventLoop, completion: .callback(completion))
    }

    /// `completion` belongs to `eventLoop`: a callback is only given from code running on it.
    private func startUnary(
        _ method: GRPCPreparedMethod, request: GRPCFramedMessage, on eventLoop: EventLoop,
        completion: GRPCCallCompletion
    ) {
        let call = GRPCClientRequest(
            headers: method.headers, timeout: method.timeout, body: request.framed, endStream: true,
            startedAt: MonotonicTime.now())
        let handler = slots[picker.take()].readyHandler()
        if let handler, handler.eventLoop === eventLoop, eventLoop.inEventLoop {
            handler.value.startCall(call, sink: .collect, completion: completion)
            return
        }
        // Another loop, or no connection yet: through a promise of the caller's loop.
        let promise: EventLoopPromise<GRPCCallResult>
        switch completion {
        case .promise(let callerPromise):
            promise = callerPromise
        case .callback(let callback):
            promise = eventLoop.makePromise()
            let callback = NIOLoopBound(callback, eventLoop: eventLoop)
            promise.futureResult.whenSuccess { callback.value($0) }
        }
        if let handler {
            promise.completeWith(handler.eventLoop.flatSubmit { handler.value.startCall(call, sink: .collect).result })
        } else {
            promise.completeWithTask { await self.call(call, sink: .collect) }
        }
    }

    /// Opens every pooled connection now (before a load run, so connecting is not measured).
    public func connectAll() async throws {
        for (index, slot) in slots.enumerated() { _ = try await slot.handler { makeConnection(to: $0, slot: index) } }
    }

    static func failed(startedAt: UInt64, outcome: GRPCCallOutcome, _ message: String) -> GRPCCallResult {
        GRPCCallResult(
            status: GRPCStatus(.unavailable, message), outcome: outcome,
            timings: GRPCCallTimings(started: startedAt, ended: MonotonicTime.now()), connectionID: -1)
    }

    /// A usable connection from the pool, connecting or replacing one as needed.
    private enum ConnectionAttempt {
        case success(NIOLoopBound<GRPCClientConnectionHandler>)
        /// No connection: the call's result, ready to return.
        case failure(GRPCCallResult)
    }

    private func connection(startedAt: UInt64) async -> ConnectionAttempt {
        let index = picker.take()
        let slot = slots[index]
        // Calls get here when their connection is gone (a GOAWAY, a restarting replica): every slot
        // without one reconnects in the background, and a call whose slot is down takes the next
        // one that is up, so calls keep flowing to the other endpoints meanwhile.
        var up: NIOLoopBound<GRPCClientConnectionHandler>?
        for offset in 0..<slots.count {
            let candidateIndex = (index + offset) % slots.count
            let candidate = slots[candidateIndex]
            if let handler = candidate.readyHandler() {
                up = up ?? handler
            } else if candidate.needsConnection {
                Task { _ = try? await candidate.handler { self.makeConnection(to: $0, slot: candidateIndex) } }
            }
        }
        if slot.readyHandler() == nil, let up { return .success(up) }
        do {
            return .success(try await slot.handler { makeConnection(to: $0, slot: index) })
        } catch {
            return .failure(Self.failed(startedAt: startedAt, outcome: .connectFailed("\(error)"), "connect failed: \(error)"))
        }
    }

    private func makeConnection(
        to endpoint: Endpoint, slot: Int
    ) -> EventLoopFuture<NIOLoopBound<GRPCClientConnectionHandler>> {
        let id = connectionCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        let configuration = self.configuration, logger = self.logger, onEvent = self.onEvent
        let endpointIndex = slot % configuration.endpoints.count
        let slot = SlotPicker.Slot(picker: picker, index: slot)
        return ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(configuration.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        GRPCClientConnectionHandler(
                            connectionID: id, endpointIndex: endpointIndex, configuration: configuration,
                            logger: logger, onEvent: onEvent, slot: slot))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .flatMap { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.handler(type: GRPCClientConnectionHandler.self).ready
                }
                .flatMap { $0 }
                .flatMapThrowing {
                    let handler = try channel.pipeline.syncOperations.handler(type: GRPCClientConnectionHandler.self)
                    onEvent?(.connected(connectionID: id, endpoint: endpoint))
                    return NIOLoopBound(handler, eventLoop: channel.eventLoop)
                }
            }
            .flatMapErrorThrowing { error in
                onEvent?(.connectFailed(connectionID: id, reason: "\(error)"))
                throw error
            }
    }

    /// Closes every connection; open calls end with `connectionLost`.
    public func close() async {
        for slot in slots { await slot.close() }
    }

    private func requestHeaders(path: String, metadata: GRPCMetadata, timeout: Duration?) -> GRPCRequestHeaders {
        var common = [
            HeaderField("content-type", "application/grpc"), HeaderField("te", "trailers"),
            HeaderField("user-agent", "accord-grpc"),
        ]
        if let timeout { common.append(HeaderField("grpc-timeout", GRPCTimeout.encode(timeout))) }
        common += metadata.headerFields
        return GRPCRequestHeaders(
            byEndpoint: configuration.endpoints.map { endpoint in
                let pseudo = [
                    HeaderField(":method", "POST"), HeaderField(":scheme", "http"), HeaderField(":path", path),
                    HeaderField(":authority", endpoint.description),
                ]
                return NGHTTP2HeaderBlock(pseudo + common, retainedUntilSent: true)
            })
    }
}

/// A request's HEADERS for each of the client's endpoints, which differ in `:authority` (each
/// replica is named as itself); a connection sends its endpoint's.
struct GRPCRequestHeaders: Sendable {
    let byEndpoint: [NGHTTP2HeaderBlock]
}

/// A method called many times alike (a load test's interaction): its request headers are
/// laid out once, in memory nghttp2 reads without copying, instead of for every call.
public final class GRPCPreparedMethod: Sendable {
    public let path: String
    public let metadata: GRPCMetadata
    public let timeout: Duration?
    let headers: GRPCRequestHeaders

    init(path: String, metadata: GRPCMetadata, timeout: Duration?, headers: GRPCRequestHeaders) {
        self.path = path
        self.metadata = metadata
        self.timeout = timeout
        self.headers = headers
    }
}

/// A request message with its gRPC length prefix: a payload sent on every call (a constant
/// one in a load test) is framed, and copied, once.
public struct GRPCFramedMessage: Sendable {
    let framed: ByteBuffer

    public init(_ message: ByteBuffer) {
        var framed = ByteBuffer()
        framed.reserveCapacity(message.readableBytes + 5)
        GRPCMessageFramer.frame(message, into: &framed)
        self.framed = framed
    }
}

/// Which pooled connection a call takes: the next in turn, except that a call started from
/// inside a call's completion takes that call's connection. A load test's closed-model users
/// then stay on their connections (as h2load's streams do), and the calls started while a
/// connection's responses are read go out in the one write that follows the read.
final class SlotPicker: Sendable {
    /// A connection's place, for its handler to claim the calls started from a completion.
    struct Slot: Sendable {
        let picker: SlotPicker
        let index: Int

        /// Calls started inside `body` take this connection.
        func claim(during body: () -> Void) {
            picker.claimed.store(index, ordering: .relaxed)
            body()
            picker.claimed.store(-1, ordering: .relaxed)
        }
    }

    private let next = Atomic<Int>(0)
    private let claimed = Atomic<Int>(-1)
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    /// Not one atomic step: callers racing from several threads may share a connection, which
    /// only skews the spread.
    func take() -> Int {
        let claimed = claimed.load(ordering: .relaxed)
        if claimed >= 0 { return claimed }
        let taken = next.load(ordering: .relaxed)
        next.store((taken + 1) % count, ordering: .relaxed)
        return taken
    }
}

/// One place in the pool: the current connection, or the attempt to make one.
final class ConnectionSlot: Sendable {
    private enum State {
        case idle
        case connecting(EventLoopFuture<NIOLoopBound<GRPCClientConnectionHandler>>)
        case ready(NIOLoopBound<GRPCClientConnectionHandler>, ConnectionHealth)
    }

    private let state = Mutex<State>(.idle)
    let endpoint: GRPCClient.Endpoint

    init(endpoint: GRPCClient.Endpoint) {
        self.endpoint = endpoint
    }

    func handler(
        connect: (GRPCClient.Endpoint) -> EventLoopFuture<NIOLoopBound<GRPCClientConnectionHandler>>
    ) async throws -> NIOLoopBound<GRPCClientConnectionHandler> {
        let future: EventLoopFuture<NIOLoopBound<GRPCClientConnectionHandler>> = state.withLock { state in
            switch state {
            case .ready(let handler, let health) where health.isUsable:
                return handler.eventLoop.makeSucceededFuture(handler)
            case .connecting(let future):
                return future
            case .idle, .ready:
                let future = connect(endpoint)
                state = .connecting(future)
                return future
            }
        }
        do {
            let handler = try await future.get()
            let health = try await handler.eventLoop.submit { handler.value.health }.get()
            state.withLock { state in
                if case .connecting(let pending) = state, pending === future { state = .ready(handler, health) }
            }
            return handler
        } catch {
            state.withLock { state in
                if case .connecting(let pending) = state, pending === future { state = .idle }
            }
            throw error
        }
    }

    /// True when no connection is ready or being made (never made, closed, or going away).
    var needsConnection: Bool {
        state.withLock { state in
            switch state {
            case .idle: true
            case .connecting: false
            case .ready(_, let health): !health.isUsable
            }
        }
    }

    /// The current connection when it is ready and usable, without waiting.
    func readyHandler() -> NIOLoopBound<GRPCClientConnectionHandler>? {
        state.withLock { state in
            if case .ready(let handler, let health) = state, health.isUsable { return handler }
            return nil
        }
    }

    func close() async {
        let current: NIOLoopBound<GRPCClientConnectionHandler>? = state.withLock { state in
            defer { state = .idle }
            if case .ready(let handler, _) = state { return handler }
            return nil
        }
        guard let current else { return }
        try? await current.eventLoop.flatSubmit { current.value.close() }.get()
    }
}

/// An open client-streaming or bidirectional call.
public struct GRPCStreamingCall: Sendable {
    let handler: NIOLoopBound<GRPCClientConnectionHandler>?
    let streamID: Int32?
    /// Response messages as they arrive; finishes when the call ends.
    public let responses: AsyncStream<ByteBuffer>
    let result: EventLoopFuture<GRPCCallResult>?
    var failed: GRPCCallResult?

    /// Sends one request message (ignored once the call has ended).
    public func send(_ message: ByteBuffer) async {
        await deliver(message, end: false)
    }

    /// Ends the request stream (END_STREAM).
    public func finish() async {
        await deliver(nil, end: true)
    }

    /// Resets the stream with CANCEL; the result reports CANCELLED.
    public func cancel() async {
        guard let handler, let streamID else { return }
        try? await handler.eventLoop.submit { handler.value.cancel(streamID: streamID) }.get()
    }

    /// Waits for the status, trailers and timings.
    public func result() async -> GRPCCallResult {
        guard let result else { return failed! }
        return (try? await result.get()) ?? failed ?? GRPCClient.failed(
            startedAt: MonotonicTime.now(), outcome: .connectionLost, "the call was lost")
    }

    private func deliver(_ message: ByteBuffer?, end: Bool) async {
        guard let handler, let streamID else { return }
        var framed: ByteBuffer?
        if let message {
            var buffer = ByteBuffer()
            GRPCMessageFramer.frame(message, into: &buffer)
            framed = buffer
        }
        try? await handler.eventLoop.submit { [framed] in
            handler.value.sendMessage(framed, streamID: streamID, end: end)
        }.get()
    }
}
