import NIOCore
import Synchronization

/// What a server handler learns from the request headers.
public struct GRPCRequestHead: Sendable {
    /// `/package.Service/Method`.
    public var path: String
    public var metadata: GRPCMetadata
    /// From `grpc-timeout`; the server ends the call with DEADLINE_EXCEEDED when it passes.
    public var timeout: Duration?
    public var authority: String?
}

/// Serves one RPC path. The handler reads request messages and sends response messages
/// through the call, which covers all four call kinds; returning ends the call with OK,
/// throwing a `GRPCStatus` ends it with that status, and any other error with INTERNAL.
public struct GRPCHandler: Sendable {
    public let handle: @Sendable (GRPCServerCall) async throws -> Void

    public init(_ handle: @escaping @Sendable (GRPCServerCall) async throws -> Void) {
        self.handle = handle
    }

    /// One request message in, one response out.
    public static func unary(
        _ body: @escaping @Sendable (GRPCRequestHead, ByteBuffer) async throws -> ByteBuffer
    ) -> GRPCHandler {
        GRPCHandler { call in
            let request = try await call.requests.single()
            try await call.send(try await body(call.head, request))
        }
    }
}

/// The server side of one RPC, handed to a `GRPCHandler`.
public final class GRPCServerCall: Sendable {
    public let head: GRPCRequestHead
    public let requests: GRPCRequestMessages
    private let connection: GRPCServerConnection
    private let streamID: Int32
    private let metadata = Mutex<(initial: GRPCMetadata, trailing: GRPCMetadata)>((GRPCMetadata(), GRPCMetadata()))

    init(head: GRPCRequestHead, requests: GRPCRequestMessages, connection: GRPCServerConnection, streamID: Int32) {
        self.head = head
        self.requests = requests
        self.connection = connection
        self.streamID = streamID
    }

    /// Metadata for the response headers; takes effect if set before the first `send`.
    public func setInitialMetadata(_ metadata: GRPCMetadata) {
        self.metadata.withLock { $0.initial = metadata }
    }

    /// Metadata sent with the status in the trailers.
    public func setTrailingMetadata(_ metadata: GRPCMetadata) {
        self.metadata.withLock { $0.trailing = metadata }
    }

    var initialMetadata: GRPCMetadata { metadata.withLock { $0.initial } }
    var trailingMetadata: GRPCMetadata { metadata.withLock { $0.trailing } }

    /// Sends one response message. Suspends while the peer is not reading (flow control),
    /// so a slow client cannot make the server buffer without bound; throws CANCELLED once
    /// the stream is gone.
    public func send(_ message: ByteBuffer) async throws {
        try await connection.send(message, streamID: streamID, call: self)
    }

    public func send<Bytes: Collection<UInt8>>(_ message: Bytes) async throws {
        try await send(ByteBuffer(bytes: message))
    }
}

/// The request messages of a call, in order. Flow-control credit goes back to the client
/// as the handler reads, so a handler that stops reading stops the client.
public struct GRPCRequestMessages: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let stream: AsyncStream<ByteBuffer>
    let credit: RequestCredit

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<ByteBuffer>.AsyncIterator
        let credit: RequestCredit

        public mutating func next() async -> ByteBuffer? {
            guard let message = await base.next() else { return nil }
            credit.read(wireBytes: message.readableBytes + 5)
            return message
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator(), credit: credit)
    }

    /// The one message of a unary or server-streaming request.
    public func single() async throws -> ByteBuffer {
        var iterator = makeAsyncIterator()
        guard let first = await iterator.next() else {
            throw GRPCStatus(.internal, "expected one request message, got none")
        }
        if await iterator.next() != nil {
            throw GRPCStatus(.internal, "expected one request message, got more")
        }
        return first
    }
}

/// Flow-control bookkeeping between the event loop (which receives DATA) and the handler
/// (which reads messages). While the complete messages waiting for the handler stay under
/// the limit, credit for received bytes goes back at once; above it, credit is held back
/// and returned as the handler catches up. Bytes of a message still arriving never count,
/// so a message larger than the limit cannot deadlock the window.
final class RequestCredit: Sendable {
    private struct State {
        var unread = 0
        var owed = 0
    }

    private let state = Mutex(State())
    private let limit: Int
    private let returnCredit: @Sendable (Int) -> Void

    init(limit: Int, returnCredit: @escaping @Sendable (Int) -> Void) {
        self.limit = limit
        self.returnCredit = returnCredit
    }

    /// On the event loop: a complete message was handed to the handler's queue.
    func queued(wireBytes: Int) {
        state.withLock { $0.unread += wireBytes }
    }

    /// On the event loop, for DATA bytes just received; returns how many to consume now.
    func received(bytes: Int) -> Int {
        state.withLock { s in
            guard s.unread > limit else { return bytes }
            s.owed += bytes
            return 0
        }
    }

    func read(wireBytes: Int) {
        let payBack = state.withLock { s -> Int in
            s.unread -= wireBytes
            guard s.owed > 0, s.unread <= limit else { return 0 }
            defer { s.owed = 0 }
            return s.owed
        }
        if payBack > 0 { returnCredit(payBack) }
    }
}
