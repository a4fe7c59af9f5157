import Logging
import NIOCore
import Synchronization

/// What a call asks of a connection.
struct GRPCClientRequest: Sendable {
    /// The request HEADERS, kept alive by the call until its stream closes (nghttp2 reads
    /// them without copying).
    var headers: NGHTTP2HeaderBlock
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

    private final class Stream {
        var result: GRPCCallResult
        var deframer: GRPCMessageDeframer
        let sink: GRPCResponseSink
        let completion: GRPCCallCompletion
        /// Held until the stream ends: nghttp2 reads the header bytes in place when it sends them.
        let headers: NGHTTP2HeaderBlock
        var sawHeaders = false
        var trailersStatus: GRPCStatus?
        var resetCode: HTTP2ErrorCode?
        var localStatus: (GRPCStatus, GRPCCallOutcome)?

        init(
            result: GRPCCallResult, maxMessageSize: Int, sink: GRPCResponseSink, completion: GRPCCallCompletion,
            headers: NGHTTP2HeaderBlock
        ) {
            self.result = result
            self.deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
            self.sink = sink
            self.completion = completion
            self.headers = headers
        }
    }

    let connectionID: Int
    let health = ConnectionHealth()
    private let configuration: GRPCClient.Configuration
    private let onEvent: (@Sendable (GRPCConnectionEvent) -> Void)?
    let logger: Logger
    var session: NGHTTP2Session?
    var context: ChannelHandlerContext?
    private var streams = StreamTable<Stream>()
    private var goawayLastStreamID: Int32?
    private var deadlines = DeadlineTimer()
    /// This connection's place in its client's pool.
    private let slot: SlotPicker.Slot?
    var outbound = ByteBuffer()
    var ioState = NGHTTP2IOState()
    /// Completed by the server's first SETTINGS: opening streams before then could exceed
    /// a SETTINGS_MAX_CONCURRENT_STREAMS we have not seen yet, and get them refused.
    private var settingsPromise: EventLoopPromise<Void>?

    init(
        connectionID: Int, configuration: GRPCClient.Configuration, logger: Logger,
        onEvent: (@Sendable (GRPCConnectionEvent) -> Void)?, slot: SlotPicker.Slot? = nil
    ) {
        self.connectionID = connectionID
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
        let streamID: Int32
        do {
            streamID = try session.submitRequest(request.headers, body: request.body, endStream: request.endStream)
        } catch {
            // nghttp2 refuses new streams once a GOAWAY has been received or sent.
            refuse(&result, "stream not opened: \(error)", completion: completion)
            return nil
        }
        result.streamID = streamID
        let stream = Stream(
            result: result, maxMessageSize: configuration.maxMessageSize, sink: sink, completion: completion,
            headers: request.headers)
        streams[streamID] = stream
        if let timeout = request.timeout {
            // The deadline counts from the call's start, connecting included.
            let deadline = request.startedAt &+ UInt64(max(0, timeout.nanoseconds))
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
        guard streams[streamID] != nil else { return }
        session?.appendBody(streamID: streamID, framed, finish: end)
        flushSoon()
    }

    func cancel(streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        stream.localStatus = (GRPCStatus(.cancelled, "cancelled by the client"), .reset(.cancel))
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
        let expired = deadlines.fired(isOpen: { streams[$0] != nil }, on: context.eventLoop) { deadlinesDue }
        for streamID in expired { deadlinePassed(streamID) }
    }

    private func deadlinePassed(_ streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        stream.localStatus = (GRPCStatus(.deadlineExceeded, "deadline exceeded"), .deadlineExceeded)
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
            streams[streamID]?.result.timings.requestSent = MonotonicTime.now()
        case .headers(let streamID, let fields, let endStream):
            guard let stream = streams[streamID] else { return }
            if !stream.sawHeaders {
                stream.sawHeaders = true
                stream.result.timings.headersReceived = eventTime
                responseHeaders(stream, fields, endStream: endStream)
            } else {
                stream.trailersStatus = GRPCStatus(trailers: fields)
                stream.result.trailingMetadata = GRPCMetadata(headerFields: fields)
            }
        case .data(let streamID, let bytes, _):
            guard let stream = streams[streamID] else { return }
            session?.consume(streamID: streamID, count: bytes.readableBytes)
            received(bytes, on: stream)
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
        case .endStream, .pingAckReceived, .goawaySent, .trailersDue, .protocolError:
            break
        }
    }

    private func responseHeaders(_ stream: Stream, _ fields: [HeaderField], endStream: Bool) {
        let httpStatus = fields.first(where: { $0.name == ":status" })?.value ?? ""
        let contentType = fields.first(where: { $0.name == "content-type" })?.value ?? ""
        stream.result.initialMetadata = GRPCMetadata(headerFields: fields)
        if let status = GRPCStatus(trailers: fields), endStream {
            // Trailers-only: the status arrives in the only HEADERS frame.
            stream.trailersStatus = status
            stream.result.initialMetadata = GRPCMetadata()
            stream.result.trailingMetadata = GRPCMetadata(headerFields: fields)
        } else if httpStatus != "200" {
            stream.localStatus = (
                GRPCStatus(Self.statusCode(forHTTPStatus: httpStatus), "HTTP status \(httpStatus)"),
                .protocolViolation("HTTP status \(httpStatus)")
            )
        } else if !contentType.hasPrefix("application/grpc") {
            stream.localStatus = (
                GRPCStatus(.unknown, "unexpected content-type '\(contentType)'"),
                .protocolViolation("content-type '\(contentType)'")
            )
        }
    }

    /// The gRPC code for a non-200 HTTP status (gRPC's http-grpc-status-mapping).
    static func statusCode(forHTTPStatus status: String) -> GRPCStatus.Code {
        switch status {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
    }

    private func received(_ bytes: ByteBuffer, on stream: Stream) {
        stream.deframer.append(bytes)
        do {
            while let message = try stream.deframer.next() {
                if stream.result.timings.firstMessage == nil { stream.result.timings.firstMessage = eventTime }
                switch stream.sink {
                case .collect: stream.result.messages.append(message)
                case .stream(let continuation): continuation.yield(message)
                case .callback(let deliver): deliver(message)
                }
            }
        } catch {
            guard let streamID = stream.result.streamID, stream.localStatus == nil else { return }
            let status: GRPCStatus =
                switch error {
                case .messageTooLarge(let length, let limit):
                    GRPCStatus(.resourceExhausted, "response message of \(length) bytes is over the limit of \(limit)")
                default: GRPCStatus(.internal, "bad response framing: \(error)")
                }
            stream.localStatus = (status, .protocolViolation(status.message))
            session?.submitReset(streamID: streamID, code: .cancel)
        }
    }

    private func closed(_ streamID: Int32, code: HTTP2ErrorCode) {
        guard let stream = streams[streamID] else { return }
        if let local = stream.localStatus {
            complete(streamID, status: local.0, outcome: local.1)
        } else if let status = stream.trailersStatus {
            do {
                try stream.deframer.finish()
                complete(streamID, status: status, outcome: .completed)
            } catch {
                complete(
                    streamID, status: GRPCStatus(.internal, "the response ended inside a message"),
                    outcome: .protocolViolation("truncated message"))
            }
        } else if code == .refusedStream || stream.resetCode == .refusedStream
            || (goawayLastStreamID.map { streamID > $0 } ?? false)
        {
            complete(streamID, status: GRPCStatus(.unavailable, "stream refused by the server"), outcome: .refused)
        } else {
            let reset = stream.resetCode ?? code
            let statusCode: GRPCStatus.Code = reset == .cancel ? .cancelled : .unavailable
            complete(streamID, status: GRPCStatus(statusCode, "stream reset with \(reset)"), outcome: .reset(reset))
        }
    }

    private func complete(_ streamID: Int32, status: GRPCStatus, outcome: GRPCCallOutcome) {
        guard let stream = streams.removeValue(forKey: streamID) else { return }
        deadlines.ended(streamID: streamID) { streams[$0] != nil }
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
