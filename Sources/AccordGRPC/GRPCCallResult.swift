import NIOCore

/// Nanoseconds on the monotonic clock, immune to wall-clock jumps. The same source as
/// NIO's deadlines, the HTTP client's `HTTPClock` and `DispatchTime`, so timestamps from
/// every transport and from process timelines subtract from each other meaningfully.
public enum MonotonicTime {
    @inline(__always)
    public static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// When each step of a client call happened, in `MonotonicTime` nanoseconds.
public struct GRPCCallTimings: Sendable, Hashable {
    public var started: UInt64
    /// The request HEADERS frame was handed to the socket.
    public var requestSent: UInt64?
    public var headersReceived: UInt64?
    public var firstMessage: UInt64?
    public var ended: UInt64 = 0
}

/// How a client call ended, in the terms the shutdown measurement sorts by.
public enum GRPCCallOutcome: Sendable, Hashable {
    /// The server answered with a status (any code, OK or not).
    case completed
    /// The server refused the stream before processing it: REFUSED_STREAM, or a stream above
    /// a GOAWAY's last-stream-id, or a new stream while the connection was going away. Safe to retry.
    case refused
    /// The stream was reset with this code after the server had it.
    case reset(HTTP2ErrorCode)
    /// The connection closed while the call was open.
    case connectionLost
    /// No connection could be made.
    case connectFailed(String)
    /// The client's own deadline passed first; the stream was cancelled.
    case deadlineExceeded
    /// The response broke the gRPC protocol (bad status, content-type, or framing).
    case protocolViolation(String)
}

/// Everything a client call produced.
public struct GRPCCallResult: Sendable {
    public var status: GRPCStatus
    public var outcome: GRPCCallOutcome
    public var initialMetadata = GRPCMetadata()
    public var trailingMetadata = GRPCMetadata()
    /// Response messages, when the call collects them (unary, and streaming without a handler).
    public var messages: [ByteBuffer] = []
    public var timings: GRPCCallTimings
    /// The HTTP/2 stream, and which pooled connection carried it (for matching connection events).
    public var streamID: Int32?
    public var connectionID: Int
}

/// Connection-level happenings a load test correlates with its calls.
public enum GRPCConnectionEvent: Sendable, Hashable {
    /// The connection is ready, to `endpoint` (one of the client's, when it has several).
    case connected(connectionID: Int, endpoint: GRPCClient.Endpoint)
    case connectFailed(connectionID: Int, reason: String)
    /// GOAWAY received; `refusedStreams` are the open streams above `lastStreamID`.
    case goaway(connectionID: Int, lastStreamID: Int32, code: HTTP2ErrorCode, refusedStreams: [Int32])
    /// A PING from the server: between two GOAWAYs, the mark of a drain that lets in-flight streams land.
    case pingReceived(connectionID: Int)
    case streamReset(connectionID: Int, streamID: Int32, code: HTTP2ErrorCode)
    /// The connection closed; `openStreams` were still waiting for a response.
    case closed(connectionID: Int, openStreams: [Int32])
}
