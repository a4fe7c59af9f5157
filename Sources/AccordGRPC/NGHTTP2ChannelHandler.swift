import Logging
import NIOCore

/// What the gRPC client and server handlers share: a channel handler that owns one
/// `NGHTTP2Session`, feeds it the bytes read, acts on its recorded events, and writes what
/// it produces. Conformers supply the events' meaning (`handle`) and what to do after each
/// round (`didPump`); the plumbing is written once, here.
protocol NGHTTP2ChannelHandler: ChannelInboundHandler, SendableMetatype
where InboundIn == ByteBuffer, OutboundOut == ByteBuffer {
    var session: NGHTTP2Session? { get set }
    var context: ChannelHandlerContext? { get set }
    /// Bytes nghttp2 produced in the current round, written and flushed once per round.
    var outbound: ByteBuffer { get set }
    var ioState: NGHTTP2IOState { get set }
    var logger: Logger { get }

    func handle(_ event: HTTP2Event)
    /// After a round: release waiters, notice a session that has finished.
    func didPump()
}

extension NGHTTP2ChannelHandler {
    /// Creates the session when the handler joins its pipeline; sends the connection preface.
    func startSession(context: ChannelHandlerContext, role: NGHTTP2Session.Role, settings: HTTP2Settings) {
        self.context = context
        outbound = context.channel.allocator.buffer(capacity: 16 << 10)
        do {
            session = try NGHTTP2Session(role: role, settings: settings, allocator: context.channel.allocator)
            pump()
        } catch {
            logger.error("cannot create an HTTP/2 session", metadata: [LogKey.error: "\(error)"])
            context.close(promise: nil)
        }
    }

    // The channel events both ends handle alike. (As the most refined protocol's
    // implementations they are the handlers' witnesses, not NIO's forwarding defaults.)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        ioState.reading = true
        ioState.readAt = MonotonicTime.now()
        receive(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        ioState.reading = false
        pump()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("connection error", metadata: [LogKey.error: "\(error)"])
        context.close(promise: nil)
    }

    /// Feeds received bytes; on a protocol error nghttp2 has queued a GOAWAY naming the
    /// problem (bad preface, frame too large, ...), which goes out before the close.
    func receive(_ data: NIOAny) {
        guard let session, let context else { return }
        do {
            try session.receive(unwrapInboundIn(data))
            handleEvents(session)
            flushSoon()
        } catch {
            logger.debug("closing a connection after an HTTP/2 error", metadata: [LogKey.error: "\(error)"])
            pump()
            context.close(promise: nil)
        }
    }

    /// Writes what nghttp2 has to send at the end of the read batch, or of this event loop
    /// turn: one write then carries the frames of every call started meanwhile, instead of
    /// one system call per call.
    func flushSoon() {
        guard let context else { return }
        if ioState.reading || ioState.flushQueued { return }
        ioState.flushQueued = true
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            handler.value.ioState.flushQueued = false
            handler.value.pump()
        }
    }

    /// Acts on recorded events and writes what nghttp2 produced, until both are exhausted.
    /// While the channel is not writable nghttp2 keeps its frames, so handlers' sends wait.
    func pump() {
        guard let session, let context else { return }
        repeat {
            handleEvents(session)
            guard context.channel.isWritable else { break }
            do {
                try session.send(into: &outbound)
            } catch {
                logger.debug("HTTP/2 send failed", metadata: [LogKey.error: "\(error)"])
                context.close(promise: nil)
                return
            }
        } while session.hasEvents
        if outbound.readableBytes > 0 {
            context.writeAndFlush(wrapOutboundOut(outbound), promise: nil)
            // The socket has usually taken the bytes by now, so the storage is ours again and
            // clearing reuses it (a copy is made only if the write is still pending).
            outbound.clear()
        }
        didPump()
        if !session.isAlive { context.close(promise: nil) }
    }

    private func handleEvents(_ session: NGHTTP2Session) {
        for event in session.takeEvents() {
            if case .protocolError(let message) = event {
                logger.notice("HTTP/2 protocol error", metadata: [LogKey.error: "\(message)"])
            } else {
                handle(event)
            }
        }
    }
}

/// A connection's reads, and when its output goes to the socket (see `flushSoon`).
struct NGHTTP2IOState {
    /// Between channelRead and channelReadComplete: the end of the read batch writes.
    var reading = false
    /// When the last read arrived: the time of everything it brought (one clock reading for
    /// all the calls it ends, instead of a few per call).
    var readAt: UInt64 = 0
    /// A write is queued on the event loop for the end of this turn.
    var flushQueued = false
}
