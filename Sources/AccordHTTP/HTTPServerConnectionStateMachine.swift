import NIOCore
import NIOHTTP1

/// The life of one HTTP/1.1 server connection as a value: what has been read, whether a handler
/// is running, whether the connection must close. It does no I/O; `HTTPServerConnectionHandler`
/// feeds it decoded input and performs the actions it returns.
///
/// Requests are answered one at a time, so pipelined requests are answered in order: input that
/// arrives while a handler runs is queued, and reading stops until the response is written.
struct HTTPServerConnectionStateMachine {
    /// Decoded input from the peer.
    enum Input {
        case head(HTTPRequestHead)
        case body(ByteBuffer)
        case end
        /// The bytes could not be decoded (a bad request line, oversized headers, ...).
        case malformed(Rejection)
    }

    /// An error response the connection sends before closing.
    struct Rejection: Equatable {
        let status: HTTPResponseStatus
        let message: String
    }

    /// How to frame the response to the request being processed.
    struct ResponseFraming: Equatable {
        let version: HTTPVersion
        /// `Connection: close` goes out and the connection closes after the response.
        let close: Bool
        /// HEAD: headers only.
        let omitBody: Bool
    }

    enum Action: Equatable {
        case none
        /// Answer `Expect: 100-continue` so the peer sends its body.
        case sendContinue
        /// The request is complete: run its handler, then call `responseReady()`.
        case dispatch(HTTPRequestHead, ByteBuffer)
        /// Answer with an error, `Connection: close`, then close.
        case reject(Rejection, version: HTTPVersion)
        /// Close now: nothing is in flight.
        case close
    }

    private enum State {
        case idle
        case reading(head: HTTPRequestHead, body: ByteBuffer)
        case processing(head: HTTPRequestHead)
        /// A final response is being written; what the peer sends now is dropped.
        case closing
        case closed
    }

    private var state: State = .idle
    /// Pipelined input that arrived while a handler was running.
    private var pending = CircularBuffer<Input>(initialCapacity: 4)
    private var shutdownRequested = false
    let maxBodyBytes: Int

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    /// True while the peer's bytes are wanted: between requests, inside one, or while draining
    /// input before a close. False while a handler runs, which bounds the memory of pipelining.
    var readsAllowed: Bool {
        switch state {
        case .idle, .reading, .closing: pending.isEmpty
        case .processing, .closed: false
        }
    }

    var isProcessing: Bool {
        if case .processing = state { return true }
        return false
    }

    mutating func receive(_ input: Input) -> Action {
        switch state {
        case .processing:
            pending.append(input)
            return .none
        case .closing, .closed:
            return .none
        case .idle:
            switch input {
            case .head(let head): return begin(head)
            case .malformed(let rejection): return reject(rejection, version: .http1_1)
            case .body, .end: return reject(Rejection(status: .badRequest, message: "body without a request"),
                                            version: .http1_1)
            }
        case .reading(let head, var body):
            switch input {
            case .body(var chunk):
                guard body.readableBytes + chunk.readableBytes <= maxBodyBytes else {
                    return reject(tooLarge, version: head.version)
                }
                state = .closed  // drop the reference held by `state`, so the append does not copy
                body.writeBuffer(&chunk)
                state = .reading(head: head, body: body)
                return .none
            case .end:
                state = .processing(head: head)
                return .dispatch(head, body)
            case .malformed(let rejection):
                return reject(rejection, version: head.version)
            case .head:
                return reject(Rejection(status: .badRequest, message: "request head inside a body"),
                              version: head.version)
            }
        }
    }

    /// The handler's response is ready: how to frame it. Afterwards drain `nextPendingInput()`.
    /// Nil when the connection is already gone (the response is dropped).
    mutating func responseReady() -> ResponseFraming? {
        guard case .processing(let head) = state else { return nil }
        let close = !head.isKeepAlive || shutdownRequested
        state = close ? .closing : .idle
        if close { pending.removeAll() }
        return ResponseFraming(version: head.version, close: close, omitBody: head.method == .HEAD)
    }

    /// Queued pipelined input, once the connection can take it.
    mutating func nextPendingInput() -> Input? {
        switch state {
        case .idle, .reading: pending.popFirst()
        case .processing, .closing, .closed: nil
        }
    }

    /// Graceful shutdown: an idle connection closes now; a request being read or processed is
    /// finished and answered with `Connection: close`.
    mutating func shutdown() -> Action {
        shutdownRequested = true
        switch state {
        case .idle where pending.isEmpty:
            state = .closed
            return .close
        case .idle, .reading, .processing, .closing, .closed:
            return .none
        }
    }

    /// No bytes for the idle timeout: close an idle connection, answer 408 to a request that
    /// stalled half-way; a running handler is not the peer's fault.
    mutating func idleTimeout() -> Action {
        switch state {
        case .idle:
            state = .closed
            return .close
        case .reading(let head, _):
            return reject(Rejection(status: .requestTimeout, message: "request not received in time"),
                          version: head.version)
        case .processing, .closing, .closed:
            return .none
        }
    }

    /// The channel is closed, by either side.
    mutating func closed() {
        state = .closed
        pending.removeAll()
    }

    private var tooLarge: Rejection {
        Rejection(status: .payloadTooLarge, message: "request body larger than \(maxBodyBytes) bytes")
    }

    private mutating func begin(_ head: HTTPRequestHead) -> Action {
        let lengths = head.headers[canonicalForm: "content-length"]
        if let text = lengths.first {
            guard lengths.count == 1, let length = Int(text), length >= 0 else {
                return reject(Rejection(status: .badRequest, message: "invalid Content-Length"), version: head.version)
            }
            if length > maxBodyBytes { return reject(tooLarge, version: head.version) }
        }
        state = .reading(head: head, body: ByteBuffer())
        let expect = head.headers.first(name: "expect")
        return expect?.lowercased() == "100-continue" ? .sendContinue : .none
    }

    private mutating func reject(_ rejection: Rejection, version: HTTPVersion) -> Action {
        state = .closing
        pending.removeAll()
        return .reject(rejection, version: version)
    }
}

extension HTTPServerConnectionStateMachine.Input {
    init(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head): self = .head(head)
        case .body(let buffer): self = .body(buffer)
        case .end: self = .end
        }
    }
}
