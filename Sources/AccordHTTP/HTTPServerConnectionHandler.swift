import Logging
import NIOCore
import NIOHTTP1

/// Sent through a connection's pipeline when the server shuts down gracefully.
struct HTTPServerShutdownEvent: Sendable {}

/// Translates between NIO and `HTTPServerConnectionStateMachine`: decoded parts in, actions out.
/// Handlers run as tasks; their responses hop back to the connection's event loop.
final class HTTPServerConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var machine: HTTPServerConnectionStateMachine
    private let router: HTTPRouter
    private let logger: Logger
    private let lingerTime: TimeAmount
    /// A `read` asked for while reads were not allowed; issued once they are.
    private var readPending = false

    init(router: HTTPRouter, maxBodyBytes: Int, lingerTime: TimeAmount, logger: Logger) {
        self.machine = HTTPServerConnectionStateMachine(maxBodyBytes: maxBodyBytes)
        self.router = router
        self.lingerTime = lingerTime
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action = machine.receive(.init(unwrapInboundIn(data)))
        perform(action, context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let rejection: HTTPServerConnectionStateMachine.Rejection
        switch error as? HTTPParserError {
        case .headerOverflow?:
            rejection = .init(status: .requestHeaderFieldsTooLarge, message: "request headers too large")
        case let parserError?:
            rejection = .init(status: .badRequest, message: "malformed request: \(parserError)")
        case nil:
            // Socket errors (reset by peer, ...): nothing left to answer.
            logger.debug("connection error", metadata: [HTTPLogKey.error: "\(error)"])
            context.close(promise: nil)
            return
        }
        perform(machine.receive(.malformed(rejection)), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is HTTPServerShutdownEvent:
            perform(machine.shutdown(), context: context)
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            perform(machine.idleTimeout(), context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.closed()
        context.fireChannelInactive()
    }

    /// Reads only when the machine wants input and the peer keeps up with our responses: a client
    /// that pipelines requests without reading the answers must not make them pile up here.
    func read(context: ChannelHandlerContext) {
        if machine.readsAllowed && context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReading(context)
        context.fireChannelWritabilityChanged()
    }

    private func resumeReading(_ context: ChannelHandlerContext) {
        if readPending && machine.readsAllowed && context.channel.isWritable {
            readPending = false
            context.read()
        }
    }

    private func perform(_ action: HTTPServerConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .sendContinue:
            let head = HTTPResponseHead(version: .http1_1, status: .continue)
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        case .dispatch(let head, let body):
            dispatch(head, body: body, context: context)
        case .reject(let rejection, let version):
            let framing = HTTPServerConnectionStateMachine.ResponseFraming(
                version: version, close: true, omitBody: false)
            write(.error(rejection.status, rejection.message), framing: framing, context: context)
        case .close:
            context.close(promise: nil)
        }
    }

    private func dispatch(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let uri = head.uri
        let queryStart = uri.firstIndex(of: "?")
        let path = uri[..<(queryStart ?? uri.endIndex)]
        switch router.match(method: head.method, path: path) {
        case .notFound:
            respond(.error(.notFound, "no route for \(head.method) \(path)"), context: context)
        case .methodNotAllowed(let allowed):
            var response = HTTPServerResponse.error(.methodNotAllowed, "\(head.method) is not allowed on \(path)")
            response.headers.add(name: "Allow", value: allowed.map { "\($0)" }.joined(separator: ", "))
            respond(response, context: context)
        case .found(let route, let parameters):
            let request = HTTPServerRequest(
                method: head.method, uri: uri, path: path, route: route.template.text,
                pathParameters: parameters,
                queryItems: queryStart.map { HTTPServerRequest.parseQuery(uri[uri.index(after: $0)...]) } ?? [],
                headers: head.headers, body: body
            )
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            let logger = self.logger
            Task {
                let response: HTTPServerResponse
                do {
                    response = try await route.handler(request)
                } catch let error as HTTPError {
                    response = .error(error.status, error.message)
                } catch {
                    logger.info("handler failed", metadata: [
                        HTTPLogKey.route: "\(request.method) \(request.route)", HTTPLogKey.error: "\(error)",
                    ])
                    response = .error(.internalServerError, "internal error")
                }
                bound.eventLoop.execute {
                    bound.value.handler.respond(response, context: bound.value.context)
                }
            }
        }
    }

    private func respond(_ response: HTTPServerResponse, context: ChannelHandlerContext) {
        guard let framing = machine.responseReady() else { return }
        write(response, framing: framing, context: context)
        while let input = machine.nextPendingInput() {
            perform(machine.receive(input), context: context)
        }
        resumeReading(context)
    }

    private func write(
        _ response: HTTPServerResponse,
        framing: HTTPServerConnectionStateMachine.ResponseFraming,
        context: ChannelHandlerContext
    ) {
        var head = HTTPResponseHead(version: framing.version, status: response.status, headers: response.headers)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        if framing.close {
            head.headers.replaceOrAdd(name: "Connection", value: "close")
        } else if framing.version == .http1_0 {
            head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !framing.omitBody && response.body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        guard framing.close else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        // Half-close, then drain what the peer still sends until it closes or the linger time
        // passes: closing with unread input would reset the connection and could destroy the
        // response before the peer reads it.
        let lingerTime = self.lingerTime
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: lingerTime) { context.close(promise: nil) }
        }
        // Drain what the peer still sends, whatever the writability.
        if readPending {
            readPending = false
            context.read()
        }
    }
}

/// Metadata keys of AccordHTTP's log lines.
enum HTTPLogKey {
    static let route = "http.route"
    static let error = "http.error"
    static let peer = "http.peer"
    static let address = "http.address"
}
