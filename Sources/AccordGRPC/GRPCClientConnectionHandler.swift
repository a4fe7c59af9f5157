import Logging
import NIOCore
import Synchronization

/// What a call asks of a connection.
struct GRPCClientRequest: Sendable {
    /// The request HEADERS, kept alive by the call until its stream closes (nghttp2 reads
    /// them without copying).
    var headers: GRPCRequestHeaders
    var timeout: Duration?
    /// Framed request messages sent with the HEADERS (unary and server-streaming).
    var body: ByteBuffer?
    /// True when `body` is the whole request (END_STREAM after it).
    var endStream: Bool
    var startedAt: UInt64
}

/// Who learns a call's result: an async caller through a promise, or the load generator
/// through a callback on the connection's loop (no promise and future per call).
enum GRPCCallCompletion {
    case promise(EventLoopPromise<GRPCCallResult>)
    case callback((GRPCCallResult) -> Void)

    func complete(_ result: GRPCCallResult) {
        switch self {
        case .promise(let promise): promise.succeed(result)
        case .callback(let callback): callback(result)
        }
    }
}

/// Where a call's response messages go.
enum GRPCResponseSink: Sendable {
    case collect
    case stream(AsyncStream<ByteBuffer>.Continuation)
    case callback(@Sendable (ByteBuffer) -> Void)
}

/// Whether a connection still takes new calls, readable from any thread.
final class ConnectionHealth: Sendable {
    private let usable = Atomic<Bool>(true)
    var isUsable: Bool { usable.load(ordering: .relaxed) }
    func markUnusable() { usable.store(false, ordering: .relaxed) }
}

/// The client end of one HTTP/2 connection.
final class GRPCClientConnectionHandler: NGHTTP2ChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let connectionID: Int
    /// Which of the client's endpoints this connection goes to: which request headers it sends.
    private let endpointIndex: Int
    let health = ConnectionHealth()
    private let configuration: GRPCClient.Configuration
    private let onEvent: (@Sendable (GRPCConnectionEvent) -> Void)?
    let logger: Logger
    // The per-call state, used only on the connection's event loop. No access to it is held
    // across code that could reach it again (completions run after a call has left `streams`;
    // closures given to `streams` and `deadlines` touch only what they are handed), so its
    // run-time exclusivity checks, a few percent of a load run's CPU, are left out.
    @exclusivity(unchecked) var session: NGHTTP2Session?
    @exclusivity(unchecked) var context: ChannelHandlerContext?
    @exclusivity(unchecked) private var streams = StreamTable<GRPCClientStream>()
    private var goawayLastStreamID: Int32?
    @exclusivity(unchecked) private var deadlines = DeadlineTimer()
    /// This connection's place in its client's pool.
    private let slot: SlotPicker.Slot?
    @exclusivity(unchecked) var outbound = ByteBuffer()
    @exclusivity(unchecked) var ioState = NGHTTP2IOState()
    /// Completed by the server's first SETTINGS: opening streams before then could exceed
    /// a SETTINGS_MAX_CONCURRENT_STREAMS we have not seen yet, and get them refused.
    private var settingsPromise: EventLoopPromise<Void>?

    init(
        connectionID: Int, endpointIndex: Int, configuration: GRPCClient.Configuration, logger: Logger,
        onEvent: (@Sendable (GRPCConnectionEvent) -> Void)?, slot: SlotPicker.Slot? = nil
    ) {
        self.connectionID = connectionID
        self.endpointIndex = endpointIndex
        self.slot = slot
        self.configuration = configuration
        self.logger = logger
        self.onEvent = onEvent
    }

    /// Succeeds once the server's SETTINGS have arrived; fails if the connection closes first.
    var ready: EventLoopFuture<Void> { settingsPromise!.futureResult }

    func handlerAdded(context: ChannelHandlerContext) {
        settingsPromise = context.eventLoop.makePromise()
        startSession(context: context, role: .client, settings: configuration.settings)
    }

    func channelInactive(context: ChannelHandlerContext) {
        health.markUnusable()
        deadlines.cancel()
        settingsPromise?.fail(ChannelError.eof)
        let open = streams.keys.sorted()
        for id in open { complete(id, status: GRPCStatus(.unavailable, "the connection closed"), outcome: .connectionLost) }
        onEvent?(.closed(connectionID: connectionID, openStreams: open))
        context.fireChannelInactive()
    }

    // MARK: - Calls

    /// Opens the stream; the future completes when the call ends. The stream id is nil when
    /// the connection refused to open it (the future then already holds the outcome).
    func startCall(
        _ request: GRPCClientRequest, sink: GRPCResponseSink
    ) -> (streamID: Int32?, result: EventLoopFuture<GRPCCallResult>) {
        let promise = context!.eventLoop.makePromise(of: GRPCCallResult.self)
        let streamID = startCall(request, sink: sink, completion: .promise(promise))
        return (streamID, promise.futureResult)
    }

    /// Opens the stream; `completion` learns the result when the call ends, on this loop, and
    /// never from inside this method. Returns nil when the connection refused the stream.
    @discardableResult
    func startCall(_ request: GRPCClientRequest, sink: GRPCResponseSink, completion: GRPCCallCompletion) -> Int32? {
        var result = GRPCCallResult(
            status: GRPCStatus(.unknown), outcome: .completed, timings: GRPCCallTimings(started: request.startedAt),
            connectionID: connectionID)
        guard let session, health.isUsable else {
            refuse(&result, "the connection is going away", completion: completion)
            return nil
        }
        let headers = request.headers.byEndpoint[endpointIndex]
        let streamID: Int32
        do {
            streamID = try session.submitRequest(headers, body: request.body, endStream: request.endStream)
        } catch {
            // nghttp2 refuses new streams once a GOAWAY has been received or sent.
            refuse(&result, "stream not opened: \(error)", completion: completion)
            return nil
        }
        result.streamID = streamID
        streams.insert(
            GRPCClientStream(
                result: result, maxMessageSize: configuration.maxMessageSize, sink: sink, completion: completion,
                headers: headers),
            for: streamID)
        if let timeout = request.timeout {
            // From now, as the grpc-timeout the server gets: time spent connecting is not counted.
            let deadline = MonotonicTime.now() &+ UInt64(max(0, timeout.nanoseconds))
            deadlines.add(streamID: streamID, deadline: deadline, on: context!.eventLoop) { deadlinesDue }
        }
        flushSoon()
        return streamID
    }

    /// Ends a call the connection could not take, on a later turn of the loop: a caller that
    /// starts another call from its completion must not recurse here.
    private func refuse(_ result: inout GRPCCallResult, _ message: String, completion: GRPCCallCompletion) {
        result.status = GRPCStatus(.unavailable, message)
        result.outcome = .refused
        result.timings.ended = MonotonicTime.now()
        let deferred = NIOLoopBound((completion, result), eventLoop: context!.eventLoop)
        context!.eventLoop.execute { deferred.value.0.complete(deferred.value.1) }
    }

    func close() -> EventLoopFuture<Void> {
        health.markUnusable()
        return context!.close()
    }

    /// Streaming requests: more framed messages, and the end of the request.
    func sendMessage(_ framed: ByteBuffer?, streamID: Int32, end: Bool) {
        guard streams.contains(streamID) else { return }
        session?.appendBody(streamID: streamID, framed, finish: end)
        flushSoon()
    }

    func cancel(streamID: Int32) {
        let status = (GRPCStatus(.cancelled, "cancelled by the client"), GRPCCallOutcome.reset(.cancel))
        guard streams.modify(streamID, { $0.localStatus = status }) != nil else { return }
        session?.submitReset(streamID: streamID, code: .cancel)
        flushSoon()
    }

    /// The deadline timer's callback.
    private var deadlinesDue: @Sendable () -> Void {
        let handler = NIOLoopBound(self, eventLoop: context!.eventLoop)
        return { handler.value.expireDeadlines() }
    }

    private func expireDeadlines() {
        guard let context else { return }
        let expired = deadlines.fired(isOpen: { streams.contains($0) }, on: context.eventLoop) { deadlinesDue }
        for streamID in expired { deadlinePassed(streamID) }
    }

    private func deadlinePassed(_ streamID: Int32) {
        let status = (GRPCStatus(.deadlineExceeded, "deadline exceeded"), GRPCCallOutcome.deadlineExceeded)
        guard streams.modify(streamID, { $0.localStatus = status }) != nil else { return }
        session?.submitReset(streamID: streamID, code: .cancel)
        flushSoon()
    }

    // MARK: - Events

    /// When what is being handled happened: the read that brought it, or now.
    private var eventTime: UInt64 { ioState.reading ? ioState.readAt : MonotonicTime.now() }

    func didPump() {
        if session?.isAlive == false { health.markUnusable() }
    }

    func handle(_ event: HTTP2Event) {
        switch event {
        case .headersSent(let streamID):
            let now = MonotonicTime.now()
            streams.modify(streamID) { $0.result.timings.requestSent = now }
        case .headers(let streamID, let fields, let endStream):
            let time = eventTime
            streams.modify(streamID) { $0.receivedHeaders(fields, endStream: endStream, at: time) }
        case .data(let streamID, let bytes, _):
            received(bytes, streamID: streamID)
        case .rstStreamReceived(let streamID, let code):
            streams[streamID]?.resetCode = code
            onEvent?(.streamReset(connectionID: connectionID, streamID: streamID, code: code))
        case .goawayReceived(let lastStreamID, let code, _):
            health.markUnusable()
            goawayLastStreamID = lastStreamID
            let refused = streams.keys.filter { $0 > lastStreamID }.sorted()
            onEvent?(.goaway(connectionID: connectionID, lastStreamID: lastStreamID, code: code, refusedStreams: refused))
        case .streamClosed(let streamID, let code):
            closed(streamID, code: code)
        case .settingsReceived:
            settingsPromise?.succeed()
        case .pingReceived:
            onEvent?(.pingReceived(connectionID: connectionID))
        case .endStream, .pingAckReceived, .goawaySent, .trailersDue, .protocolError:
            break
        }
    }

    private func received(_ bytes: ByteBuffer, streamID: Int32) {
        let time = eventTime
        guard let received = streams.modify(streamID, { $0.received(bytes, at: time) }) else { return }
        session?.consume(streamID: streamID, count: bytes.readableBytes)
        if received.reset { session?.submitReset(streamID: streamID, code: .cancel) }
        if !received.deliveries.isEmpty, case .callback(let deliver)? = streams[streamID]?.sink {
            for message in received.deliveries { deliver(message) }
        }
    }

    private func closed(_ streamID: Int32, code: HTTP2ErrorCode) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        let refusedByGoaway = goawayLastStreamID.map { streamID > $0 } ?? false
        let (status, outcome) = stream.ending(closedWith: code, refusedByGoaway: refusedByGoaway)
        finish(consume stream, status: status, outcome: outcome)
    }

    private func complete(_ streamID: Int32, status: GRPCStatus, outcome: GRPCCallOutcome) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        finish(consume stream, status: status, outcome: outcome)
    }

    /// Hands the result over; the stream has left the table already (so the completion may
    /// start calls on this connection).
    private func finish(_ stream: consuming GRPCClientStream, status: GRPCStatus, outcome: GRPCCallOutcome) {
        var stream = stream
        if let streamID = stream.result.streamID { deadlines.ended(streamID: streamID) { streams.contains($0) } }
        stream.result.status = status
        stream.result.outcome = outcome
        // Never before the start: a call started during a read and ended by it (the connection
        // closing) would otherwise end at the read's time.
        stream.result.timings.ended = max(eventTime, stream.result.timings.started)
        if case .stream(let continuation) = stream.sink { continuation.finish() }
        if case .callback = stream.completion, let slot {
            // The load generator starts its next call from the completion: on this connection.
            slot.claim { stream.completion.complete(stream.result) }
        } else {
            stream.completion.complete(stream.result)
        }
    }
}
