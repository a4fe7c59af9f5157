import NIOCore

/// One header field as it travels in HEADERS frames (lower-case name).
public struct HeaderField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP/2 error code (RFC 9113 section 7), with its name from nghttp2.
public struct HTTP2ErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let noError = HTTP2ErrorCode(rawValue: 0x0)
    public static let protocolError = HTTP2ErrorCode(rawValue: 0x1)
    public static let internalError = HTTP2ErrorCode(rawValue: 0x2)
    public static let flowControlError = HTTP2ErrorCode(rawValue: 0x3)
    public static let streamClosed = HTTP2ErrorCode(rawValue: 0x5)
    public static let frameSizeError = HTTP2ErrorCode(rawValue: 0x6)
    public static let refusedStream = HTTP2ErrorCode(rawValue: 0x7)
    public static let cancel = HTTP2ErrorCode(rawValue: 0x8)
    public static let enhanceYourCalm = HTTP2ErrorCode(rawValue: 0xB)

    public var description: String {
        let names = [
            "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
            "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
            "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
        ]
        return rawValue < names.count ? names[Int(rawValue)] : "0x\(String(rawValue, radix: 16))"
    }
}

/// What an nghttp2 callback saw, recorded during `nghttp2_session_mem_recv`/`mem_send` and
/// acted on by the channel handler afterwards, so nothing calls back into the session from
/// inside a callback.
enum HTTP2Event {
    /// A complete header block (HEADERS plus any CONTINUATION).
    case headers(streamID: Int32, fields: [HeaderField], endStream: Bool)
    case data(streamID: Int32, bytes: ByteBuffer, endStream: Bool)
    /// END_STREAM on a DATA frame that carried no payload bytes of its own.
    case endStream(streamID: Int32)
    case rstStreamReceived(streamID: Int32, code: HTTP2ErrorCode)
    case goawayReceived(lastStreamID: Int32, code: HTTP2ErrorCode, debug: String)
    case pingAckReceived
    /// A PING from the peer (nghttp2 acknowledges it itself): a server draining its connections
    /// sends one between its two GOAWAYs.
    case pingReceived
    /// The peer's SETTINGS (not an ACK): its limits, such as max concurrent streams, now apply.
    case settingsReceived
    case streamClosed(streamID: Int32, code: HTTP2ErrorCode)
    /// The stream's first HEADERS frame has been handed to the socket buffer.
    case headersSent(streamID: Int32)
    /// The local side's GOAWAY went out, with the last-stream-id it announced and its code
    /// (NO_ERROR for a shutdown; anything else is nghttp2 ending a session it judged broken).
    case goawaySent(lastStreamID: Int32, code: HTTP2ErrorCode)
    /// nghttp2 found the peer (or us) breaking the protocol; its own words, for the logs.
    case protocolError(String)
    /// A data provider finished its body and the stream now needs its trailers submitted.
    case trailersDue(streamID: Int32)
}
