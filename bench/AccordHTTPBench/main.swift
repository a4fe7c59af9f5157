import AccordHTTP
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

// Drives AccordHTTP for bench/http-vs-wrk:
//   AccordHTTPBench serve PORT                      serves GET /hello until killed
//   AccordHTTPBench load PORT CONNECTIONS SECONDS   closed loop like `wrk -t1 -cN -dS` on NIO's loop
//   AccordHTTPBench load-socket PORT CONNECTIONS SECONDS   the same on Accord's SocketEventLoop
// The script measures each process's CPU time itself, the same way for wrk.

/// Keeps every connection busy: each completion sends the next request, until the deadline.
final class ClosedLoop {
    let pool: HTTPConnectionPool
    let request: HTTPClientRequest
    let deadline: UInt64
    var completed = 0
    var failed = 0
    var non2xx = 0
    var outstanding = 0
    let done: EventLoopPromise<Void>

    init(pool: HTTPConnectionPool, request: HTTPClientRequest, deadline: UInt64, done: EventLoopPromise<Void>) {
        self.pool = pool
        self.request = request
        self.deadline = deadline
        self.done = done
    }

    func start(connections: Int) {
        for _ in 0..<connections { send() }
    }

    private func send() {
        outstanding += 1
        pool.execute(request, intendedStart: HTTPClock.now()) { [self] in completed($0) }
    }

    private func completed(_ exchange: HTTPClientExchange) {
        outstanding -= 1
        switch exchange.result {
        case .success(let response):
            completed += 1
            if response.status < 200 || response.status > 299 { non2xx += 1 }
        case .failure:
            failed += 1
        }
        if exchange.timestamps.complete < deadline {
            send()
        } else if outstanding == 0 {
            done.succeed()
        }
    }
}

/// One connection of the NIOHTTP1 closed loop: the next request goes out when a response ends.
final class NIOHTTP1Loop: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let head: HTTPRequestHead
    let deadline: UInt64
    let tally: Tally

    final class Tally {
        var completed = 0
        var non2xx = 0
        var open = 0
        let done: EventLoopPromise<Void>
        init(done: EventLoopPromise<Void>) { self.done = done }
    }

    init(head: HTTPRequestHead, deadline: UInt64, tally: Tally) {
        self.head = head
        self.deadline = deadline
        self.tally = tally
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            if response.status.code < 200 || response.status.code > 299 { tally.non2xx += 1 }
        case .body:
            break
        case .end:
            tally.completed += 1
            if HTTPClock.now() < deadline {
                send(context)
            } else {
                tally.open -= 1
                if tally.open == 0 { tally.done.succeed() }
            }
        }
    }

    private func send(_ context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let port = Int(arguments[2]) else {
    print("usage: AccordHTTPBench serve PORT | load PORT CONNECTIONS SECONDS")
    exit(2)
}

switch arguments[1] {
case "serve":
    var router = HTTPRouter()
    try router.add(.GET, "/hello") { _ in .json(["hello": "world"]) }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server = HTTPServer(
        router: router, configuration: .init(port: port), eventLoopGroup: group,
        logger: Logger(label: "AccordHTTPBench"))
    try await server.start()
    print("READY \(port)")
    fflush(nil)  // stdout is a pipe to the bench script: push READY out now
    try await Task.sleep(for: .seconds(3600))
case "load" where arguments.count == 5, "load-socket" where arguments.count == 5:
    guard let connections = Int(arguments[3]), let seconds = Double(arguments[4]) else { exit(2) }
    // `load`: the pool on NIO's loop (a channel per connection); `load-socket`: on Accord's own
    // SocketEventLoop (plain sockets), as `accord load` runs a mix of HTTP alone.
    let socketLoop = arguments[1] == "load-socket" ? SocketEventLoop() : nil
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop: EventLoop = socketLoop ?? group.next()
    let target = try HTTPTarget(host: "127.0.0.1", port: port)
    let request = HTTPClientRequest(path: "/hello", authority: target.authority)
    let result = try await loop.flatSubmit { () -> EventLoopFuture<(Int, Int, Int)> in
        let pool = HTTPConnectionPool(
            target: target, eventLoop: loop, configuration: .init(maxConnections: connections))
        let done = loop.makePromise(of: Void.self)
        let driver = ClosedLoop(
            pool: pool, request: request, deadline: HTTPClock.now() + UInt64(seconds * 1e9), done: done)
        return pool.warmUp(connections).assumeIsolated().flatMap {
            driver.start(connections: connections)
            return done.futureResult
        }.flatMap { pool.close() }.map { (driver.completed, driver.failed, driver.non2xx) }.nonisolated()
    }.get()
    print("requests \(result.0) errors \(result.1) non2xx \(result.2)")
    await socketLoop?.shutdown()
    try await group.shutdownGracefully()
case "load-niohttp1" where arguments.count == 5:
    guard let connections = Int(arguments[3]), let seconds = Double(arguments[4]) else { exit(2) }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    var headers = HTTPHeaders()
    headers.add(name: "Host", value: "127.0.0.1:\(port)")
    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/hello", headers: headers)
    let deadline = HTTPClock.now() + UInt64(seconds * 1e9)
    let result = try await loop.flatSubmit { () -> EventLoopFuture<(Int, Int)> in
        let tally = NIOHTTP1Loop.Tally(done: loop.makePromise())
        tally.open = connections
        let bound = NIOLoopBound(tally, eventLoop: loop)
        let channels = (0..<connections).map { _ in
            ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            NIOHTTP1Loop(head: head, deadline: deadline, tally: bound.value))
                    }
                }
                .connect(host: "127.0.0.1", port: port)
        }
        return tally.done.futureResult.flatMap {
            EventLoopFuture.whenAllComplete(channels, on: loop)
        }.assumeIsolated().flatMap { results in
            let closes = results.compactMap { try? $0.get().close() }
            return EventLoopFuture.andAllComplete(closes, on: loop)
        }.map { (tally.completed, tally.non2xx) }.nonisolated()
    }.get()
    print("requests \(result.0) errors 0 non2xx \(result.1)")
    try await group.shutdownGracefully()
default:
    print("usage: AccordHTTPBench serve PORT | load PORT CONNECTIONS SECONDS")
    exit(2)
}
