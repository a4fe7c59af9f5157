import NIOCore
import NIOPosix

/// An `HTTPClientConnection`'s transport on a NIO channel, as the channel's only handler: it
/// only translates between the channel's events and the connection.
final class HTTPClientChannelHandler: ChannelInboundHandler, HTTPClientTransport {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: HTTPClientConnection
    @exclusivity(unchecked) private var context: ChannelHandlerContext?

    init(connection: HTTPClientConnection) {
        self.connection = connection
    }

    /// Connects `connection` to its target on `eventLoop`; completes with the channel's close future.
    static func connect(
        _ connection: HTTPClientConnection, on eventLoop: EventLoop, timeout: TimeAmount
    ) -> EventLoopFuture<EventLoopFuture<Void>> {
        let handler = NIOLoopBound(HTTPClientChannelHandler(connection: connection), eventLoop: eventLoop)
        return ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler.value) }
            }
            .connect(to: connection.target.address)
            .map(\.closeFuture)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        connection.transport = self
    }

    func write(_ bytes: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }

    func close() {
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Resets and other socket errors end the connection; channelInactive reports them.
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        connection.ended()
    }
}
