import Logging
import NIOCore

/// Outbound events the server sends down a connection's pipeline to shut it down.
enum GRPCServerConnectionEvent: Sendable {
    /// Begin the two-GOAWAY graceful shutdown.
    case shutdownGracefully
    /// The grace period is over: reset what remains and close.
    case forceClose
}

/// A Sendable handle on one connection's handler, for calls running off the event loop.
struct GRPCServerConnection: Sendable {
    let handler: NIOLoopBound<GRPCServerConnectionHandler>

    var eventLoop: EventLoop { handler.eventLoop }

    func send(_ message: ByteBuffer, streamID: Int32, call: GRPCServerCall) async throws {
        try await eventLoop.flatSubmit { handler.value.send(message, streamID: streamID, call: call) }.get()
    }

    func finish(streamID: Int32, status: GRPCStatus, call: GRPCServerCall) {
        eventLoop.execute { handler.value.finish(streamID: streamID, status: status, call: call) }
    }

    func consume(streamID: Int32, bytes: Int) {
        eventLoop.execute { handler.value.consume(streamID: streamID, bytes: bytes) }
    }
}

/// The server end of one HTTP/2 connection: feeds bytes through nghttp2, turns its events
/// into gRPC calls on the handlers, and writes back what nghttp2 produces.
final class GRPCServerConnectionHandler: NGHTTP2ChannelHandler, ChannelOutboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Never
    typealias OutboundOut = ByteBuffer

    /// One RPC's state on the event loop.
    private final class Stream {
        let id: Int32
        var deframer: GRPCMessageDeframer
        let requests: AsyncStream<ByteBuffer>.Continuation
        let credit: RequestCredit
        var call: GRPCServerCall?
        var task: Task<Void, Never>?
        var responseStarted = false
        /// Set once the status is decided: trailers submitted or the stream reset.
        var finished = false
        var pendingTrailers: [HeaderField] = []
        var sendWaiters: [EventLoopPromise<Void>] = []

        init(id: Int32, maxMessageSize: Int, requests: AsyncStream<ByteBuffer>.Continuation, credit: RequestCredit) {
            self.id = id
            self.deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
            self.requests = requests
            self.credit = credit
        }
    }

    private let configuration: GRPCServer.Configuration
    private let handlers: [String: GRPCHandler]
    private(set) var logger: Logger
    var session: NGHTTP2Session?
    var context: ChannelHandlerContext?
    private var streams: [Int32: Stream] = [:]
    private var waitingForWritability: Set<Int32> = []
    private var shutdown = ServerShutdownStateMachine()
    private var pingTimeout: Scheduled<Void>?
    private var deadlines = DeadlineTimer()
    var outbound: ByteBuffer
    var ioState = NGHTTP2IOState()

    init(configuration: GRPCServer.Configuration, handlers: [String: GRPCHandler], logger: Logger) {
        self.configuration = configuration
        self.handlers = handlers
        self.logger = logger
        self.outbound = ByteBuffer()
    }

    private var connection: GRPCServerConnection {
        GRPCServerConnection(handler: NIOLoopBound(self, eventLoop: context!.eventLoop))
    }

    // MARK: - Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        logger[metadataKey: LogKey.peer] = "\(context.remoteAddress.map { "\($0)" } ?? "?")"
        startSession(context: context, role: .server, settings: configuration.settings)
    }

    func channelInactive(context: ChannelHandlerContext) {
        shutdown.connectionClosed()
        pingTimeout?.cancel()
        deadlines.cancel()
        for stream in streams.values { abandon(stream, reason: "the connection closed") }
        streams.removeAll()
        context.fireChannelInactive()
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? GRPCServerConnectionEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .shutdownGracefully: perform(shutdown.beginShutdown())
        case .forceClose: perform(shutdown.graceExpired())
        }
        promise?.succeed()
    }

    // MARK: - Events

    func didPump() {
        releaseSendWaiters()
    }

    func handle(_ event: HTTP2Event) {
        switch event {
        case .headers(let streamID, let fields, let endStream):
            if let stream = streams[streamID] {
                if endStream { endOfRequest(stream) }
            } else {
                openStream(streamID, fields: fields, endStream: endStream)
            }
        case .data(let streamID, let bytes, let endStream):
            received(bytes, streamID: streamID)
            if endStream, let stream = streams[streamID] { endOfRequest(stream) }
        case .endStream(let streamID):
            if let stream = streams[streamID] { endOfRequest(stream) }
        case .trailersDue(let streamID):
            guard let stream = streams[streamID] else { return }
            do {
                try session?.submitTrailers(streamID: streamID, stream.pendingTrailers)
            } catch {
                session?.submitReset(streamID: streamID, code: .internalError)
            }
        case .streamClosed(let streamID, _):
            guard let stream = streams.removeValue(forKey: streamID) else { return }
            abandon(stream, reason: "the client reset the stream")
            perform(shutdown.streamClosed(openStreams: streams.count))
        case .pingAckReceived:
            pingTimeout?.cancel()
            shutdown.pingAckedOrTimedOut(openStreams: streams.count).forEach(perform)
        case .goawaySent(let lastStreamID, let code):
            let metadata: Logger.Metadata = [LogKey.lastStreamID: "\(lastStreamID)", LogKey.error: "\(code)"]
            if code == .noError {
                logger.debug("GOAWAY sent", metadata: metadata)
            } else {
                logger.notice("nghttp2 ended the connection with GOAWAY", metadata: metadata)
            }
        case .rstStreamReceived, .goawayReceived, .pingReceived, .headersSent, .settingsReceived, .protocolError:
            break
        }
    }

    // MARK: - Streams

    private func openStream(_ streamID: Int32, fields: [HeaderField], endStream: Bool) {
        var path = "", method = "", contentType = "", authority: String?, timeout: Duration?, encoding: String?
        for field in fields {
            switch field.name {
            case ":path": path = field.value
            case ":method": method = field.value
            case ":authority": authority = field.value
            case "content-type": contentType = field.value
            case "grpc-timeout": timeout = GRPCTimeout.decode(field.value)
            case "grpc-encoding": encoding = field.value
            default: break
            }
        }
        guard method == "POST" else { return respondHTTP(streamID, status: 405) }
        guard contentType.hasPrefix("application/grpc") else { return respondHTTP(streamID, status: 415) }
        guard let handler = handlers[path] else {
            return respondTrailersOnly(streamID, GRPCStatus(.unimplemented, "unknown method \(path)"))
        }
        if let encoding, encoding != "identity" {
            return respondTrailersOnly(streamID, GRPCStatus(.unimplemented, "unsupported grpc-encoding \(encoding)"))
        }

        let connection = self.connection
        let (requests, continuation) = AsyncStream<ByteBuffer>.makeStream()
        let credit = RequestCredit(limit: configuration.maxBufferedRequestBytes) { bytes in
            connection.consume(streamID: streamID, bytes: bytes)
        }
        let stream = Stream(
            id: streamID, maxMessageSize: configuration.maxMessageSize, requests: continuation, credit: credit)
        streams[streamID] = stream
        let head = GRPCRequestHead(
            path: path, metadata: GRPCMetadata(headerFields: fields), timeout: timeout, authority: authority)
        let call = GRPCServerCall(
            head: head, requests: GRPCRequestMessages(stream: requests, credit: credit), connection: connection,
            streamID: streamID)
        stream.call = call
        if let timeout {
            let deadline = MonotonicTime.now() &+ UInt64(max(0, timeout.nanoseconds))
            deadlines.add(streamID: streamID, deadline: deadline, on: context!.eventLoop) { deadlinesDue }
        }
        stream.task = Task {
            let status: GRPCStatus
            do {
                try await handler.handle(call)
                status = .ok
            } catch let error as GRPCStatus {
                status = error
            } catch is CancellationError {
                status = GRPCStatus(.cancelled, "the call was cancelled")
            } catch {
                status = GRPCStatus(.internal, "handler error: \(error)")
            }
            connection.finish(streamID: streamID, status: status, call: call)
        }
        if endStream { endOfRequest(stream) }
    }

    private func received(_ bytes: ByteBuffer, streamID: Int32) {
        let count = bytes.readableBytes
        guard let stream = streams[streamID], !stream.finished else {
            // After the response ended, the rest of the request is read and dropped.
            session?.consume(streamID: streamID, count: count)
            return
        }
        stream.deframer.append(bytes)
        do {
            while let message = try stream.deframer.next() {
                stream.credit.queued(wireBytes: message.readableBytes + 5)
                stream.requests.yield(message)
            }
        } catch .messageTooLarge(let length, let limit) {
            fail(stream, GRPCStatus(.resourceExhausted, "message of \(length) bytes is over the limit of \(limit)"))
        } catch .compressedWithoutEncoding {
            fail(stream, GRPCStatus(.internal, "compressed message without a grpc-encoding"))
        } catch {
            fail(stream, GRPCStatus(.internal, "\(error)"))
        }
        session?.consume(streamID: streamID, count: stream.finished ? count : stream.credit.received(bytes: count))
    }

    private func endOfRequest(_ stream: Stream) {
        do {
            try stream.deframer.finish()
            stream.requests.finish()
        } catch {
            fail(stream, GRPCStatus(.internal, "the request ended inside a message (\(stream.deframer.bufferedBytes) bytes)"))
        }
    }

    /// The deadline timer's callback.
    private var deadlinesDue: @Sendable () -> Void {
        let handler = NIOLoopBound(self, eventLoop: context!.eventLoop)
        return { handler.value.expireDeadlines() }
    }

    private func expireDeadlines() {
        guard let context else { return }
        let expired = deadlines.fired(isOpen: isRunning, on: context.eventLoop) { deadlinesDue }
        for streamID in expired { deadlinePassed(streamID) }
    }

    /// Whether a call still waits for its status (a deadline can still end it).
    private func isRunning(_ streamID: Int32) -> Bool {
        streams[streamID].map { !$0.finished } ?? false
    }

    private func deadlinePassed(_ streamID: Int32) {
        guard let stream = streams[streamID] else { return }
        fail(stream, GRPCStatus(.deadlineExceeded, "deadline exceeded"))
    }

    /// Ends a call on the server's initiative: status to the client, cancellation to the handler.
    private func fail(_ stream: Stream, _ status: GRPCStatus) {
        stream.requests.finish()
        stream.task?.cancel()
        finish(streamID: stream.id, status: status, call: stream.call)
    }

    /// The stream is gone (reset or connection closed): stop its handler and release its waiters.
    private func abandon(_ stream: Stream, reason: String) {
        stream.requests.finish()
        if !stream.finished { stream.task?.cancel() }
        stream.finished = true
        deadlines.ended(streamID: stream.id, isOpen: isRunning)
        for waiter in stream.sendWaiters { waiter.fail(GRPCStatus(.cancelled, reason)) }
        stream.sendWaiters.removeAll()
        waitingForWritability.remove(stream.id)
    }

    func send(_ message: ByteBuffer, streamID: Int32, call: GRPCServerCall) -> EventLoopFuture<Void> {
        let eventLoop = context!.eventLoop
        guard let session, let stream = streams[streamID], !stream.finished else {
            return eventLoop.makeFailedFuture(GRPCStatus(.cancelled, "the call has ended"))
        }
        if !stream.responseStarted {
            do {
                try session.submitResponse(
                    streamID: streamID, headers: Self.responseHeaders + call.initialMetadata.headerFields,
                    hasBody: true)
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
            stream.responseStarted = true
        }
        var framed = context!.channel.allocator.buffer(capacity: message.readableBytes + 5)
        GRPCMessageFramer.frame(message, into: &framed)
        session.appendBody(streamID: streamID, framed)
        pump()
        guard session.pendingBodyBytes(streamID: streamID) > configuration.maxBufferedResponseBytes else {
            return eventLoop.makeSucceededVoidFuture()
        }
        let waiter = eventLoop.makePromise(of: Void.self)
        stream.sendWaiters.append(waiter)
        waitingForWritability.insert(streamID)
        return waiter.futureResult
    }

    func finish(streamID: Int32, status: GRPCStatus, call: GRPCServerCall?) {
        guard let session, let stream = streams[streamID], !stream.finished else { return }
        stream.finished = true
        deadlines.ended(streamID: streamID, isOpen: isRunning)
        let trailers = status.trailerFields + (call?.trailingMetadata.headerFields ?? [])
        if stream.responseStarted {
            stream.pendingTrailers = trailers
            session.appendBody(streamID: streamID, nil, finish: true, trailers: true)
        } else {
            do {
                try session.submitResponse(streamID: streamID, headers: Self.responseHeaders + trailers, hasBody: false)
            } catch {
                session.submitReset(streamID: streamID, code: .internalError)
            }
        }
        pump()
    }

    func consume(streamID: Int32, bytes: Int) {
        session?.consume(streamID: streamID, count: bytes)
        pump()
    }

    private func releaseSendWaiters() {
        guard !waitingForWritability.isEmpty, let session else { return }
        for streamID in waitingForWritability {
            guard let stream = streams[streamID],
                session.pendingBodyBytes(streamID: streamID) <= configuration.maxBufferedResponseBytes
            else { continue }
            waitingForWritability.remove(streamID)
            let waiters = stream.sendWaiters
            stream.sendWaiters.removeAll()
            for waiter in waiters { waiter.succeed() }
        }
    }

    private static let responseHeaders = [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc")]

    private func respondTrailersOnly(_ streamID: Int32, _ status: GRPCStatus) {
        try? session?.submitResponse(streamID: streamID, headers: Self.responseHeaders + status.trailerFields, hasBody: false)
    }

    private func respondHTTP(_ streamID: Int32, status: Int) {
        try? session?.submitResponse(streamID: streamID, headers: [HeaderField(":status", String(status))], hasBody: false)
    }

    // MARK: - Shutdown

    private func perform(_ action: ServerShutdownStateMachine.Action) {
        guard let session, let context else { return }
        switch action {
        case .none:
            return
        case .sendShutdownNoticeAndPing:
            logger.debug("graceful shutdown: first GOAWAY", metadata: [LogKey.openStreams: "\(streams.count)"])
            session.submitShutdownNotice()
            session.submitPing()
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            pingTimeout = context.eventLoop.scheduleTask(in: configuration.shutdownPingTimeout) {
                let handler = loopBound.value
                handler.shutdown.pingAckedOrTimedOut(openStreams: handler.streams.count).forEach(handler.perform)
            }
        case .sendFinalGoaway:
            session.submitGoaway(lastStreamID: session.lastProcessedStreamID, code: .noError)
        case .close:
            pump()
            context.close(promise: nil)
            return
        case .resetStreamsAndClose:
            logger.info("grace period over: resetting streams", metadata: [LogKey.openStreams: "\(streams.count)"])
            for stream in streams.values {
                session.submitReset(streamID: stream.id, code: .cancel)
                abandon(stream, reason: "the server's grace period ended")
            }
            pump()
            context.close(promise: nil)
            return
        }
        pump()
    }
}
