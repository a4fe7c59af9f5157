@testable import AccordHTTP
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Polls `condition` every 10 ms until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double = 10, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// A bare TCP connection that sends exact bytes and collects what comes back, for pipelining,
/// half-sent bodies and slow writers.
final class RawConnection: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let state = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            state.withLock { $0.bytes += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.withLock { $0.closed = true }
        }

        /// With half-closure allowed, the peer's FIN arrives as an event; the test still writes.
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .inputClosed? = event as? ChannelEvent { state.withLock { $0.closed = true } }
            context.fireUserInboundEventTriggered(event)
        }
    }

    private let channel: Channel
    private let collector: Collector

    private init(channel: Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { $0.pipeline.addHandler(collector) }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    func close() async {
        try? await channel.close()
    }

    var received: String { collector.state.withLock { String(decoding: $0.bytes, as: UTF8.self) } }
    var closedByPeer: Bool { collector.state.withLock { $0.closed } }

    /// Waits until the text received satisfies `condition` or the peer closes; returns the text.
    func read(until condition: (String) -> Bool, seconds: Double = 10) async -> String {
        _ = await eventually(within: seconds) { condition(received) || closedByPeer }
        return received
    }
}

/// A fake HTTP server that reads one request head per connection and then misbehaves as told,
/// to produce the connection events the client must report.
final class ScriptedPeer: Sendable {
    enum Script: Sendable {
        /// Close without answering.
        case closeAtOnce
        /// Send part of a response, then close.
        case closeMidResponse
        /// Answer completely (keep-alive), then close the idle connection.
        case answerThenClose
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let script: Script
        var seen: [UInt8] = []

        init(script: Script) { self.script = script }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            seen += unwrapInboundIn(data).readableBytesView
            guard String(decoding: seen, as: UTF8.self).contains("\r\n\r\n") else { return }
            seen = []
            let reply: String
            switch script {
            case .closeAtOnce: reply = ""
            case .closeMidResponse: reply = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"
            case .answerThenClose: reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: reply))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    let channel: Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(_ script: Script) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async {
        try? await channel.close()
    }
}

/// Lets handlers block until the test opens it, and counts who is waiting.
actor Gate {
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var isOpen = false
    private(set) var arrived = 0

    func wait() async {
        arrived += 1
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }
}

/// The accord server the tests talk to: a few routes that echo what they received.
enum TestServer {
    static func router(gate: Gate = Gate()) throws -> HTTPRouter {
        var router = HTTPRouter()
        try router.add(.GET, "/orders/{order_id}") { request in
            .json([
                "order_id": .string(request.pathParameters["order_id"] ?? ""),
                "verbose": .string(request.query("verbose") ?? ""),
                "request_id": .string(request.headers.first(name: "x-request-id") ?? ""),
            ])
        }
        try router.add(.POST, "/orders") { request in
            .json(["received": try request.jsonBody()], status: .created)
        }
        try router.add(.GET, "/hello") { _ in .json(["hello": "world"]) }
        try router.add(.GET, "/gate") { _ in
            await gate.wait()
            return .json(["passed": true])
        }
        return router
    }

    /// Starts a server on a free port, runs `body`, and shuts the server down whatever happens.
    static func with<T>(
        configuration: HTTPServer.Configuration = .init(), gate: Gate = Gate(),
        _ body: (HTTPServer, Int) async throws -> T
    ) async throws -> T {
        let server = HTTPServer(router: try router(gate: gate), configuration: configuration,
                                logger: Logger(label: "accord.http.test"))
        let address = try await server.start()
        do {
            let result = try await body(server, address.port ?? 0)
            await gate.open()
            await server.shutdown(grace: .seconds(5))
            return result
        } catch {
            await gate.open()
            await server.shutdown(grace: .seconds(5))
            throw error
        }
    }
}
