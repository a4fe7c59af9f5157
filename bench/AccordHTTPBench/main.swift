import AccordHTTP
import Logging
import NIOCore
import NIOPosix

// Drives AccordHTTP for bench/http-vs-wrk:
//   AccordHTTPBench serve PORT                      serves GET /hello until killed
//   AccordHTTPBench load PORT CONNECTIONS SECONDS   closed loop like `wrk -t1 -cN -dS`
// The script measures each process's CPU time itself, the same way for wrk.

/// Keeps every connection busy: each completion sends the next request, until the deadline.
final class ClosedLoop: HTTPClientDelegate {
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
        pool.execute(request, tag: 0, intendedStart: HTTPClock.now())
    }

    func completed(_ exchange: HTTPClientExchange) {
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

    func connectionEvent(_ event: HTTPConnectionEvent) {}
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
case "load" where arguments.count == 5:
    guard let connections = Int(arguments[3]), let seconds = Double(arguments[4]) else { exit(2) }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    let target = try HTTPTarget(host: "127.0.0.1", port: port)
    let request = HTTPClientRequest(path: "/hello", authority: target.authority)
    let result = try await loop.flatSubmit { () -> EventLoopFuture<(Int, Int, Int)> in
        let pool = HTTPConnectionPool(
            target: target, eventLoop: loop, configuration: .init(maxConnections: connections))
        let done = loop.makePromise(of: Void.self)
        let driver = ClosedLoop(
            pool: pool, request: request, deadline: HTTPClock.now() + UInt64(seconds * 1e9), done: done)
        pool.delegate = driver
        return pool.warmUp(connections).assumeIsolated().flatMap {
            driver.start(connections: connections)
            return done.futureResult
        }.flatMap { pool.close() }.map { (driver.completed, driver.failed, driver.non2xx) }.nonisolated()
    }.get()
    print("requests \(result.0) errors \(result.1) non2xx \(result.2)")
    try await group.shutdownGracefully()
default:
    print("usage: AccordHTTPBench serve PORT | load PORT CONNECTIONS SECONDS")
    exit(2)
}
