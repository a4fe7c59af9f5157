import NIOCore

/// Where an `HTTPClientConnection` writes and what it closes: a NIO channel
/// (`HTTPClientChannelHandler`) or a socket on a `SocketEventLoop` (`HTTPClientSocket`). A
/// transport only moves bytes; it tells its connection what it read (`received`) and that it
/// closed (`ended`, once, also when the connection closed it).
protocol HTTPClientTransport: AnyObject {
    /// Writes `bytes` at once or, when the socket is full, as soon as it can take them.
    func write(_ bytes: ByteBuffer)
    func close()
}

/// One keep-alive connection of an `HTTPConnectionPool`: it writes pre-encoded requests, parses
/// responses with `HTTPResponseParser`, stamps times, and reports results and the way the
/// connection ends to its pool. Lives on the pool's event loop; its transport does the I/O.
final class HTTPClientConnection {
    struct InFlight {
        let completion: HTTPConnectionPool.Completion
        let expectsBody: Bool
        var timestamps: HTTPRequestTimestamps
    }

    // The mutable state is marked `@exclusivity(unchecked)`: it is touched only on the pool's
    // event loop and never while another access to it is open, and the dynamic checks cost about
    // a tenth of the client's user time per request (measured with perf, bench/http-vs-wrk).
    let id: Int
    let target: HTTPTarget
    private let pool: HTTPConnectionPool
    private let timeout: TimeAmount
    /// Set by the transport once connected; nil again when it ended.
    @exclusivity(unchecked) var transport: (any HTTPClientTransport)?
    @exclusivity(unchecked) private(set) var inFlight = CircularBuffer<InFlight>(initialCapacity: 4)
    @exclusivity(unchecked) private var parser = HTTPResponseParser()
    /// Bytes of an incomplete head or chunk line, kept for the next read.
    @exclusivity(unchecked) private var cumulation: ByteBuffer?
    @exclusivity(unchecked) private var head: HTTPResponseParser.Head?
    @exclusivity(unchecked) private var body: ByteBuffer?
    /// False once a response said `Connection: close`, or the connection failed.
    @exclusivity(unchecked) private(set) var reusable = true
    @exclusivity(unchecked) private var completedResponses = 0
    private var closeInitiated = false
    @exclusivity(unchecked) private var timerArmed = false
    /// Set by the pool once the transport exists: completes when it has closed.
    var closeFuture: EventLoopFuture<Void>?

    init(id: Int, target: HTTPTarget, pool: HTTPConnectionPool, timeout: TimeAmount) {
        self.id = id
        self.target = target
        self.pool = pool
        self.timeout = timeout
    }

    var isActive: Bool { transport != nil }

    func send(
        _ request: HTTPClientRequest, completion: @escaping HTTPConnectionPool.Completion, intendedStart: UInt64
    ) {
        guard let transport else {
            pool.fail(completion, HTTPClientError(.resetBeforeResponse, "connection closed before the write"),
                      timestamps: HTTPRequestTimestamps(intendedStart: intendedStart))
            return
        }
        var entry = InFlight(completion: completion, expectsBody: request.expectsResponseBody,
                             timestamps: HTTPRequestTimestamps(intendedStart: intendedStart))
        transport.write(request.bytes)
        // Stamped after the write: on an open socket the write() call has been made by now.
        entry.timestamps.written = HTTPClock.now()
        // A write that failed at once closed a NIO channel inside the call (`ended` has run): this
        // request was not in flight yet, so it fails here instead of waiting on a dead connection.
        guard self.transport != nil else {
            entry.timestamps.complete = entry.timestamps.written
            pool.fail(entry.completion, HTTPClientError(.resetBeforeResponse, "connection closed during the write"),
                      timestamps: entry.timestamps)
            return
        }
        inFlight.append(entry)
        if !timerArmed { armTimer(at: entry.timestamps.written) }
    }

    func close() {
        closeInitiated = true
        reusable = false
        transport?.close()
    }

    /// Bytes the transport read.
    func received(_ bytes: ByteBuffer) {
        let now = HTTPClock.now()
        var buffer = bytes
        if var pending = cumulation {
            cumulation = nil
            pending.writeBuffer(&buffer)
            buffer = pending
        }
        do throws(HTTPResponseParser.Error) {
            while buffer.readableBytes > 0 || head != nil {
                guard !inFlight.isEmpty else {
                    throw HTTPResponseParser.Error(message: "response bytes without a request")
                }
                if inFlight[inFlight.startIndex].timestamps.firstByte == 0 {
                    inFlight[inFlight.startIndex].timestamps.firstByte = now
                }
                let expectsBody = inFlight[inFlight.startIndex].expectsBody
                guard let event = try parser.next(&buffer, bodyExpected: expectsBody) else { break }
                switch event {
                case .head(let parsed):
                    head = parsed
                case .body(var slice):
                    if var existing = body {
                        body = nil  // one owner, so the append does not copy more than it must
                        existing.writeBuffer(&slice)
                        body = existing
                    } else {
                        body = slice
                    }
                case .end:
                    finishResponse(at: now)
                }
            }
        } catch {
            malformed(error.message)
            return
        }
        if buffer.readableBytes > 0 { cumulation = buffer }
        if !reusable && inFlight.isEmpty && !closeInitiated { close() }
    }

    /// The transport closed (the peer, a socket error or `close()`): what is in flight fails.
    func ended() {
        let now = HTTPClock.now()
        transport = nil
        reusable = false
        // A body delimited by the close is complete now.
        if head != nil, (try? parser.endOfInput()) != nil { finishResponse(at: now) }
        if let first = inFlight.first {
            let during = head != nil || first.timestamps.firstByte != 0
            pool.record(during ? .resetDuringResponse : .resetBeforeResponse, connection: self, at: now)
            failAll(during ? .resetDuringResponse : .resetBeforeResponse, "connection closed by the peer", now: now)
        } else if !closeInitiated && completedResponses > 0 {
            pool.record(.closedByPeerAfterResponse, connection: self, at: now)
        }
        pool.connectionClosed(self)
    }

    private func finishResponse(at now: UInt64) {
        guard let parsed = head else { return }
        var entry = inFlight.removeFirst()
        entry.timestamps.complete = now
        head = nil
        let response = HTTPClientResponse(
            status: parsed.status, head: parsed.bytes, body: body ?? ByteBuffer(), connectionClose: !parsed.keepAlive)
        body = nil
        completedResponses += 1
        if !parsed.keepAlive && reusable {
            reusable = false
            pool.record(.connectionCloseSeen, connection: self, at: now)
        }
        pool.completed(entry.completion, .success(response), timestamps: entry.timestamps, on: self)
    }

    private func malformed(_ message: String) {
        let now = HTTPClock.now()
        pool.record(.malformedResponse, connection: self, at: now)
        failAll(.malformedResponse, message, now: now)
        close()
    }

    private func failAll(_ kind: HTTPClientError.Kind, _ message: String, now: UInt64) {
        reusable = false
        head = nil
        body = nil
        while let entry = inFlight.popFirst() {
            var timestamps = entry.timestamps
            timestamps.complete = now
            pool.fail(entry.completion, HTTPClientError(kind, message), timestamps: timestamps)
        }
    }

    /// One timer per connection, re-armed for the oldest request's deadline when it fires, instead
    /// of one timer per request.
    private func armTimer(at written: UInt64) {
        guard transport != nil else { return }
        timerArmed = true
        let deadline = NIODeadline.uptimeNanoseconds(written) + timeout
        pool.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timerArmed = false
            guard let oldest = self.inFlight.first else { return }
            let due = NIODeadline.uptimeNanoseconds(oldest.timestamps.written) + self.timeout
            if due <= .now() {
                let now = HTTPClock.now()
                self.pool.record(.timedOut, connection: self, at: now)
                self.failAll(.timeout, "no response within \(self.timeout)", now: now)
                self.close()
            } else {
                self.armTimer(at: oldest.timestamps.written)
            }
        }
    }
}
