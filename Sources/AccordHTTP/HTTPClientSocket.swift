import CEpoll
import Glibc
import NIOCore

/// An `HTTPClientConnection`'s transport on a `SocketEventLoop`: a non-blocking TCP socket read
/// and written with plain system calls (one `send` per request while the socket takes it, one
/// `read` per response that fits the buffer), no channel pipeline. Errors are NIO's (`IOError`,
/// `ChannelError.connectTimeout`), so the pool reports them alike on either kind of loop.
final class HTTPClientSocket: SocketWatcher, HTTPClientTransport {
    /// What one read takes at most; a response larger than this is read in several.
    private static let readSize = 8192
    /// Reads per readiness at most, so one connection with a large body cannot hold the loop
    /// (NIO reads up to 4 times too); epoll reports what is left on the next turn.
    private static let readsPerTurn = 4
    private static let readable = EPOLLIN.rawValue | EPOLLRDHUP.rawValue

    private let fd: CInt
    private let loop: SocketEventLoop
    private let connection: HTTPClientConnection
    private let closed: EventLoopPromise<Void>
    // Loop-only state, touched on every request (see HTTPClientConnection).
    @exclusivity(unchecked) private var connecting: EventLoopPromise<EventLoopFuture<Void>>?
    @exclusivity(unchecked) private var connectTimer: Scheduled<Void>?
    /// Bytes the socket did not take yet, sent when it is writable again.
    @exclusivity(unchecked) private var unsent: ByteBuffer?
    @exclusivity(unchecked) private var buffer = ByteBuffer()
    @exclusivity(unchecked) private var open = true

    private init(fd: CInt, loop: SocketEventLoop, connection: HTTPClientConnection) {
        self.fd = fd
        self.loop = loop
        self.connection = connection
        self.closed = loop.makePromise()
    }

    /// Connects `connection` to its target on `loop`; completes with a future of the socket's close.
    static func connect(
        _ connection: HTTPClientConnection, on loop: SocketEventLoop, timeout: TimeAmount
    ) -> EventLoopFuture<EventLoopFuture<Void>> {
        loop.preconditionInEventLoop()
        let address = connection.target.address
        let fd = socket(CInt(address.protocol.rawValue), CInt(SOCK_STREAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue)
                        | CInt(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return loop.makeFailedFuture(IOError(errnoCode: errno, reason: "socket")) }
        var one: CInt = 1
        _ = setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
        let socket = HTTPClientSocket(fd: fd, loop: loop, connection: connection)
        let promise = loop.makePromise(of: EventLoopFuture<Void>.self)
        socket.connecting = promise
        let (result, code) = address.withSockAddr { address, length in
            let result = Glibc.connect(fd, address, socklen_t(length))
            return (result, errno)
        }
        do {
            try loop.watch(fd, for: result == 0 ? readable : EPOLLOUT.rawValue, by: socket)
        } catch {
            socket.fail(error)
            return promise.futureResult
        }
        if result == 0 {
            socket.connected()
        } else if code == EINPROGRESS || code == EINTR {
            // Interrupted, a non-blocking connect goes on by itself, as one in progress does.
            socket.connectTimer = loop.assumeIsolated().scheduleTask(in: timeout) {
                socket.fail(ChannelError.connectTimeout(timeout))
            }
        } else {
            socket.fail(IOError(errnoCode: code, reason: "connect"))
        }
        return promise.futureResult
    }

    func ready(_ events: UInt32) {
        if connecting != nil {
            var failure: CInt = 0
            var length = socklen_t(MemoryLayout<CInt>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length)
            if failure != 0 { return fail(IOError(errnoCode: failure, reason: "connect")) }
            connected()
            return
        }
        if events & EPOLLOUT.rawValue != 0 { sendUnsent() }
        if events & ~EPOLLOUT.rawValue != 0 { readAvailable() }
    }

    func write(_ bytes: ByteBuffer) {
        guard open else { return }
        if unsent != nil {
            unsent!.writeImmutableBuffer(bytes)
            return
        }
        var rest = bytes
        guard send(&rest) else { return }
        if rest.readableBytes > 0 {
            unsent = rest
            watchWritable(true)
        }
    }

    /// Closed by the connection, or by the peer or an error through `ready`.
    func close() {
        guard open else { return }
        release()
        connection.ended()
    }

    /// Closed as the connection closes itself, so what it reports reads as a close of its own.
    func loopStopping() {
        if connecting != nil {
            fail(EventLoopError.shutdown)
        } else {
            connection.close()
        }
    }

    // MARK: -

    private func connected() {
        guard let promise = connecting else { return }
        do {
            try loop.change(fd, to: Self.readable)
        } catch {
            return fail(error)
        }
        connecting = nil
        connectTimer?.cancel()
        connectTimer = nil
        connection.transport = self
        promise.succeed(closed.futureResult)
    }

    /// The connect failed: nothing was connected, so the connection hears nothing of it.
    private func fail(_ error: any Error) {
        guard let promise = connecting else { return }
        connecting = nil
        connectTimer?.cancel()
        release()
        promise.fail(error)
    }

    /// Gives the descriptor back; the socket's close future completes.
    private func release() {
        open = false
        loop.unwatch(fd)
        Glibc.close(fd)
        closed.succeed()
    }

    /// Sends what it can of `bytes`; false when the socket failed (it closes on the next turn, so
    /// the request being written is in flight by then and fails with the others).
    private func send(_ bytes: inout ByteBuffer) -> Bool {
        while bytes.readableBytes > 0 {
            let sent = bytes.withUnsafeReadableBytes { Glibc.send(fd, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL)) }
            if sent >= 0 {
                bytes.moveReaderIndex(forwardBy: sent)
                continue
            }
            switch errno {
            case EINTR: continue
            case EAGAIN: return true
            default:
                loop.assumeIsolated().execute { self.close() }
                return false
            }
        }
        return true
    }

    private func sendUnsent() {
        guard var rest = unsent else { return }
        unsent = nil
        guard send(&rest) else { return }
        if rest.readableBytes > 0 {
            unsent = rest
        } else {
            watchWritable(false)
        }
    }

    private func watchWritable(_ writable: Bool) {
        do {
            try loop.change(fd, to: writable ? Self.readable | EPOLLOUT.rawValue : Self.readable)
        } catch {
            loop.assumeIsolated().execute { self.close() }
        }
    }

    /// Reads until the socket has nothing more (a read that does not fill the buffer says so,
    /// without another call), the peer closed, the socket failed, or the turn's reads are done.
    private func readAvailable() {
        var reads = 0
        while open && reads < Self.readsPerTurn {
            reads += 1
            buffer.clear()
            var failure: CInt = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.readSize) { space in
                let count = Glibc.read(fd, space.baseAddress, Self.readSize)
                if count < 0 { failure = errno }
                return max(count, 0)
            }
            if count > 0 {
                connection.received(buffer)
                if count < Self.readSize { return }
            } else if failure == EINTR {
                continue
            } else if failure == EAGAIN {
                return
            } else {
                // The peer closed (0) or reset the connection.
                close()
            }
        }
    }
}
