import AccordGRPC
import AccordTestSupport
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The accord gRPC server's limits, failure handling and graceful shutdown, driven by the
/// accord client, Python grpcio and raw sockets.
@Suite struct GRPCServerTests {
    /// Counts handlers running now and the most that ever ran at once.
    final class Concurrency: Sendable {
        private let state = Mutex((now: 0, peak: 0, started: 0, finished: 0))
        func enter() { state.withLock { $0.now += 1; $0.started += 1; $0.peak = max($0.peak, $0.now) } }
        func leave() { state.withLock { $0.now -= 1; $0.finished += 1 } }
        var peak: Int { state.withLock { $0.peak } }
        var now: Int { state.withLock { $0.now } }
        var started: Int { state.withLock { $0.started } }
        var finished: Int { state.withLock { $0.finished } }
    }

    /// A unary handler that holds each call for `delay`, counting concurrency.
    static func slowSay(_ counter: Concurrency, delay: Duration) -> [String: GRPCHandler] {
        [EchoService.prefix + "Say": .unary { _, request in
            counter.enter()
            defer { counter.leave() }
            try await Task.sleep(for: delay)
            return request
        }]
    }

    @Test func gracefulShutdownCompletesEveryCallInFlightAndRefusesLaterOnes() async throws {
        let counter = Concurrency()
        let server = GRPCServer(handlers: Self.slowSay(counter, delay: .milliseconds(600)))
        let port = try await server.start()
        // Connections opened, and those whose final GOAWAY (a real last-stream-id) arrived.
        let connections = Mutex((opened: Set<Int>(), drained: Set<Int>()))
        let client = GRPCClient(configuration: .init(port: port, connections: 3)) { event in
            switch event {
            case .connected(let id, _): connections.withLock { _ = $0.opened.insert(id) }
            case .goaway(let id, let last, _, _) where last != Int32.max:
                connections.withLock { _ = $0.drained.insert(id) }
            default: break
            }
        }
        let request = EchoMessage(text: "in-flight").encoded

        // 60 calls in flight on the server before the shutdown starts.
        let inFlight = Task {
            await withTaskGroup(of: GRPCCallResult.self) { group in
                for _ in 0..<60 { group.addTask { await client.unary(path: EchoService.prefix + "Say", request: request) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await waitUntil("60 calls in flight") { counter.now == 60 }
        let shutdown = Task { await server.shutdown(grace: .seconds(10)) }

        // Calls keep arriving during the shutdown: each must complete or be refused, never be dropped.
        // They start once every connection has its final GOAWAY: before that, a call on a connection
        // the GOAWAYs have not reached yet is one the drain rightly lets in.
        try await waitUntil("the final GOAWAY on every connection") {
            connections.withLock { !$0.opened.isEmpty && $0.drained == $0.opened }
        }
        var late: [GRPCCallResult] = []
        for _ in 0..<20 { late.append(await client.unary(path: EchoService.prefix + "Say", request: request)) }

        let results = await inFlight.value
        await shutdown.value
        #expect(results.count == 60)
        #expect(results.allSatisfy { $0.status == .ok && $0.outcome == .completed })
        #expect(counter.finished == 60)
        for result in late {
            switch result.outcome {
            case .refused, .connectFailed: break
            default: Issue.record("a call after the final GOAWAY ended \(result.outcome) with \(result.status)")
            }
        }
        #expect(server.connectionCount == 0)
        await client.close()
    }

    @Test func callsRacingTheShutdownAreCompletedOrRefusedNeverDropped() async throws {
        let counter = Concurrency()
        let server = GRPCServer(handlers: Self.slowSay(counter, delay: .milliseconds(50)))
        let port = try await server.start()
        let client = GRPCClient(configuration: .init(port: port, connections: 2))
        let request = EchoMessage(text: "race").encoded
        let load = Task {
            await withTaskGroup(of: [GRPCCallResult].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var results: [GRPCCallResult] = []
                        for _ in 0..<60 {
                            let result = await client.unary(path: EchoService.prefix + "Say", request: request)
                            results.append(result)
                            if case .connectFailed = result.outcome { break }
                        }
                        return results
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
        }
        try await waitUntil("load running") { counter.started >= 40 }
        await server.shutdown(grace: .seconds(10))
        let results = await load.value
        let dropped = results.filter {
            switch $0.outcome {
            case .completed: $0.status != .ok
            case .refused, .connectFailed: false
            default: true
            }
        }
        #expect(dropped.isEmpty, "dropped: \(dropped.map { "\($0.outcome) \($0.status)" })")
        #expect(results.contains { $0.outcome == .completed })
        await client.close()
    }

    @Test func graceExpiryResetsWhatRemains() async throws {
        let counter = Concurrency()
        let server = GRPCServer(handlers: Self.slowSay(counter, delay: .seconds(30)))
        let port = try await server.start()
        let client = GRPCClient(configuration: .init(port: port))
        let call = Task { await client.unary(path: EchoService.prefix + "Say", request: ByteBuffer()) }
        try await waitUntil("one call in flight") { counter.now == 1 }
        await server.shutdown(grace: .milliseconds(300))
        let result = await call.value
        #expect(result.status.code == .cancelled || result.status.code == .unavailable)
        #expect(result.outcome == .reset(.cancel) || result.outcome == .connectionLost)
        try await waitUntil("handler cancelled") { counter.finished == 1 }
        await client.close()
    }

    @Test func respectsMaxConcurrentStreams() async throws {
        let counter = Concurrency()
        let server = GRPCServer(
            configuration: .init(settings: HTTP2Settings(maxConcurrentStreams: 4)),
            handlers: Self.slowSay(counter, delay: .milliseconds(40)))
        let port = try await server.start()
        let client = GRPCClient(configuration: .init(port: port, connections: 1))
        let results = await withTaskGroup(of: GRPCCallResult.self) { group in
            for _ in 0..<40 { group.addTask { await client.unary(path: EchoService.prefix + "Say", request: ByteBuffer()) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.status == .ok })
        #expect(counter.peak <= 4)
        #expect(counter.peak >= 2)
        await client.close()
        await server.shutdown(grace: .seconds(1))
    }

    @Test func rejectsMessagesOverTheLimitAndBadEncodings() async throws {
        let server = GRPCServer(configuration: .init(maxMessageSize: 1024), handlers: EchoService.handlers)
        let port = try await server.start()
        let client = GRPCClient(configuration: .init(port: port))
        let big = await client.unary(
            path: EchoService.prefix + "Say", request: EchoMessage(text: String(repeating: "x", count: 4000)).encoded)
        #expect(big.status.code == .resourceExhausted)
        #expect(big.status.message.contains("over the limit of 1024"))

        let garbage = await client.unary(path: EchoService.prefix + "Say", request: ByteBuffer(bytes: [0xFF, 0xFF]))
        #expect(garbage.status.code == .invalidArgument)

        let unknown = await client.unary(path: "/no.Such/Method", request: ByteBuffer())
        #expect(unknown.status == GRPCStatus(.unimplemented, "unknown method /no.Such/Method"))

        // The server is still healthy.
        let ok = await client.unary(path: EchoService.prefix + "Say", request: EchoMessage(text: "ok").encoded)
        #expect(ok.status == .ok)
        await client.close()
        await server.shutdown(grace: .seconds(1))
    }

    @Test func handlerErrorsBecomeInternalWithAMessage() async throws {
        struct Broken: Error {}
        let server = GRPCServer(handlers: ["/t.S/Broken": .unary { _, _ in throw Broken() }])
        let port = try await server.start()
        let client = GRPCClient(configuration: .init(port: port))
        let result = await client.unary(path: "/t.S/Broken", request: ByteBuffer())
        #expect(result.status.code == .internal)
        #expect(result.status.message.contains("Broken"))
        await client.close()
        await server.shutdown(grace: .seconds(1))
    }

    @Test func serverDeadlineEndsSlowCalls() async throws {
        let counter = Concurrency()
        let server = GRPCServer(handlers: Self.slowSay(counter, delay: .seconds(30)))
        let port = try await server.start()
        let client = GRPCClient(configuration: .init(port: port))
        let result = await client.unary(path: EchoService.prefix + "Say", request: ByteBuffer(), timeout: .milliseconds(150))
        #expect(result.status.code == .deadlineExceeded)
        try await waitUntil("handler cancelled") { counter.finished == 1 }
        await client.close()
        await server.shutdown(grace: .seconds(1))
    }

    @Test(arguments: [
        Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        Array(repeating: 0xAB, count: 4096),
        // A valid preface and empty SETTINGS, then a DATA frame header claiming 1 MiB (> SETTINGS_MAX_FRAME_SIZE).
        Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + [0, 0, 0, 4, 0, 0, 0, 0, 0] + [0x10, 0, 0, 0, 0, 0, 0, 0, 1],
    ])
    func closesConnectionsThatSendGarbageAndKeepsServing(bytes: [UInt8]) async throws {
        let server = GRPCServer(handlers: EchoService.handlers)
        let port = try await server.start()
        let received = try RawSocket.exchange(port: port, send: bytes)
        // nghttp2 answers a broken peer with GOAWAY (frame type 7) where it can, then we close.
        #expect(received.closed)
        if bytes.first == UInt8(ascii: "P") { #expect(received.bytes.count >= 9 && received.containsFrame(type: 7)) }
        try await waitUntil("connection released") { server.connectionCount == 0 }
        let client = GRPCClient(configuration: .init(port: port))
        #expect(await client.unary(path: EchoService.prefix + "Say", request: EchoMessage(text: "ok").encoded).status == .ok)
        await client.close()
        await server.shutdown(grace: .seconds(1))
    }

    @Test func aClientDroppingMidStreamReleasesTheCall() async throws {
        let sent = Atomic<Int>(0)
        let ended = Atomic<Bool>(false)
        let server = GRPCServer(handlers: [
            "/t.S/Forever": GRPCHandler { call in
                defer { ended.store(true, ordering: .relaxed) }
                for _ in 0..<1_000_000 {
                    try await call.send(ByteBuffer(repeating: 7, count: 512))
                    sent.add(1, ordering: .relaxed)
                }
            }
        ])
        let port = try await server.start()
        let client = GRPCClient(configuration: .init(port: port))
        let call = Task { await client.serverStreaming(path: "/t.S/Forever", request: ByteBuffer()) { _ in } }
        try await waitUntil("streaming") { sent.load(ordering: .relaxed) > 100 }
        await client.close()
        let result = await call.value
        #expect(result.outcome == .connectionLost)
        try await waitUntil("handler released") { ended.load(ordering: .relaxed) }
        try await waitUntil("connection released") { server.connectionCount == 0 }
        await server.shutdown(grace: .seconds(1))
    }

    @Test func aPeerThatStopsReadingDoesNotMakeTheServerBuffer() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc") else { return }
        let sent = Atomic<Int>(0)
        let server = GRPCServer(handlers: [
            EchoService.prefix + "Expand": GRPCHandler { call in
                let request = try EchoService.request(try await call.requests.single())
                for i in 0..<request.number {
                    try await call.send(EchoMessage(text: request.text, number: i).encoded)
                    sent.add(1, ordering: .relaxed)
                }
            }
        ])
        let port = try await server.start()
        let peer = try ChildProcess(["python3", GRPCInteropTests.peer, "stall", "\(port)"])
        _ = try await peer.waitForOutput(containing: "STALLED")
        // Let the flow-control windows fill, then check that sending has stopped.
        var previous = -1
        for _ in 0..<100 where previous != sent.load(ordering: .relaxed) {
            previous = sent.load(ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(300))
        }
        let stalledAt = sent.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(500))
        #expect(sent.load(ordering: .relaxed) == stalledAt)
        // ~1 KB messages: what grpcio's windows and our 256 KiB buffer hold, far from 10 million.
        #expect(stalledAt < 100_000)
        peer.signal(SIGKILL)
        try await waitUntil("connection released") { server.connectionCount == 0 }
        await server.shutdown(grace: .seconds(1))
    }
}

/// A plain TCP client for feeding the server bytes no HTTP/2 library would send.
enum RawSocket {
    struct Exchange {
        var bytes: [UInt8]
        var closed: Bool

        /// Whether the received bytes, read as HTTP/2 frames after the server preface, hold a frame of `type`.
        func containsFrame(type: UInt8) -> Bool {
            var offset = 0
            while offset + 9 <= bytes.count {
                let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
                if bytes[offset + 3] == type { return true }
                offset += 9 + length
            }
            return false
        }
    }

    /// Sends `bytes`, then reads until the server closes or 5 s pass.
    static func exchange(port: Int, send bytes: [UInt8]) throws -> Exchange {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { received += chunk[0..<n]; continue }
            return Exchange(bytes: received, closed: n == 0 || errno == ECONNRESET)
        }
    }
}
