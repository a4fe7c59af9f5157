import CNGHTTP2
import NIOCore

/// A libnghttp2 return code below zero, with the library's own text.
public struct NGHTTP2Error: Error, RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }
    public var description: String { "nghttp2: \(String(cString: nghttp2_strerror(rawValue))) (\(rawValue))" }
}

/// The settings one side announces in its first SETTINGS frame.
public struct HTTP2Settings: Sendable, Hashable {
    public var maxConcurrentStreams: UInt32
    public var initialWindowSize: UInt32
    public var maxFrameSize: UInt32
    public var maxHeaderListSize: UInt32

    public init(
        maxConcurrentStreams: UInt32 = 100, initialWindowSize: UInt32 = 1 << 20,
        maxFrameSize: UInt32 = 1 << 14, maxHeaderListSize: UInt32 = 16 << 10
    ) {
        self.maxConcurrentStreams = maxConcurrentStreams
        self.initialWindowSize = initialWindowSize
        self.maxFrameSize = maxFrameSize
        self.maxHeaderListSize = maxHeaderListSize
    }
}

/// Owns one `nghttp2_session`, confined to its channel's event loop.
///
/// nghttp2 does framing, HPACK and flow control; this type feeds it bytes, drains its
/// output, and turns its callbacks into `HTTP2Event`s. Callbacks only record: the owner
/// acts on `takeEvents()` after `receive`/`send` return, so no call re-enters the session
/// from inside a callback (the reentrancy trap that made swift-nio-http2 leave nghttp2).
final class NGHTTP2Session {
    enum Role { case client, server }

    /// Bytes waiting to go out as DATA frames on one stream, pulled by nghttp2's data provider.
    private struct OutboundBody {
        var buffer: ByteBuffer
        var finished = false
        var hasTrailers = false
        var deferred = false

        /// nghttp2's data provider: copies up to `length` bytes, and says whether the body
        /// ended (EOF, and `trailersDue` when trailers follow) or must wait for more (DEFERRED).
        mutating func read(
            into destination: UnsafeMutablePointer<UInt8>, length: Int, flags: UnsafeMutablePointer<UInt32>,
            trailersDue: () -> Void
        ) -> Int {
            let count = min(length, buffer.readableBytes)
            if count > 0 {
                buffer.readWithUnsafeReadableBytes { source in
                    destination.update(from: source.bindMemory(to: UInt8.self).baseAddress!, count: count)
                    return count
                }
            }
            guard buffer.readableBytes == 0 else { return count }
            if finished {
                flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
                if hasTrailers {
                    flags.pointee |= NGHTTP2_DATA_FLAG_NO_END_STREAM.rawValue
                    trailersDue()
                }
                return count
            }
            if count == 0 {
                deferred = true
                return Int(NGHTTP2_ERR_DEFERRED.rawValue)
            }
            return count
        }
    }

    // The mutable state below is touched many times per call, only on the session's event loop
    // and never by two overlapping accesses (callbacks run inside the session's own calls, which
    // hold no access while in nghttp2), so its run-time exclusivity checks are left out: they
    // were a few percent of a load run's CPU.
    @exclusivity(unchecked) private var session: OpaquePointer?
    private let allocator: ByteBufferAllocator
    @exclusivity(unchecked) private var events: [HTTP2Event] = []
    @exclusivity(unchecked) private var pendingHeaders: [HeaderField] = []
    @exclusivity(unchecked) private var pendingHeaderBytes = 0
    private let maxHeaderListSize: Int
    @exclusivity(unchecked) private var outbound = StreamTable<OutboundBody>()

    init(role: Role, settings: HTTP2Settings, allocator: ByteBufferAllocator) throws(NGHTTP2Error) {
        self.allocator = allocator
        self.maxHeaderListSize = Int(settings.maxHeaderListSize)

        var callbacks: OpaquePointer?
        try check(nghttp2_session_callbacks_new(&callbacks))
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, onBeginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrameRecv)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onDataChunkRecv)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, onFrameSend)
        nghttp2_session_callbacks_set_error_callback2(callbacks, onError)

        var option: OpaquePointer?
        try check(nghttp2_option_new(&option))
        defer { nghttp2_option_del(option) }
        // Window updates follow what the application has consumed, so a handler that stops
        // reading stops the peer instead of letting buffers grow.
        nghttp2_option_set_no_auto_window_update(option, 1)
        nghttp2_option_set_max_send_header_block_length(option, 64 << 10)

        let me = Unmanaged.passUnretained(self).toOpaque()
        switch role {
        case .client: try check(nghttp2_session_client_new2(&session, callbacks, me, option))
        case .server: try check(nghttp2_session_server_new2(&session, callbacks, me, option))
        }

        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: settings.maxConcurrentStreams),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue), value: settings.initialWindowSize),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_FRAME_SIZE.rawValue), value: settings.maxFrameSize),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: settings.maxHeaderListSize),
        ]
        try check(nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count))
        // The connection-level window starts at 65535 whatever SETTINGS says; open it to match.
        let connectionIncrease = Int32(settings.initialWindowSize) - 65_535
        if connectionIncrease > 0 {
            try check(nghttp2_submit_window_update(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionIncrease))
        }
    }

    deinit {
        nghttp2_session_del(session)
    }

    // MARK: - Input and output

    /// Feeds received bytes to nghttp2. A thrown error is fatal for the connection; nghttp2
    /// has usually queued a GOAWAY, so `send` once more before closing.
    func receive(_ buffer: ByteBuffer) throws(NGHTTP2Error) {
        let result = buffer.withUnsafeReadableBytes { bytes in
            nghttp2_session_mem_recv(session, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
        }
        if result < 0 { throw NGHTTP2Error(rawValue: Int32(result)) }
    }

    /// Appends everything nghttp2 wants to send (frames, flow control, GOAWAY) to `buffer`.
    func send(into buffer: inout ByteBuffer) throws(NGHTTP2Error) {
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 { throw NGHTTP2Error(rawValue: Int32(count)) }
            guard count > 0, let chunk else { return }
            buffer.writeBytes(UnsafeRawBufferPointer(start: chunk, count: count))
        }
    }

    /// The events recorded since the last call, oldest first.
    func takeEvents() -> [HTTP2Event] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    var hasEvents: Bool { !events.isEmpty }

    /// False once both sides are done: GOAWAY exchanged and no stream left.
    var isAlive: Bool { nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0 }

    var lastProcessedStreamID: Int32 { nghttp2_session_get_last_proc_stream_id(session) }

    /// The peer's SETTINGS_MAX_CONCURRENT_STREAMS (unlimited until its SETTINGS arrive).
    var remoteMaxConcurrentStreams: UInt32 {
        nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS)
    }

    // MARK: - Submitting frames

    /// Opens a client stream. The body, if any, is sent from `appendBody` calls; with
    /// `endStream` the HEADERS frame itself ends the stream. nghttp2 reads `headers` when it
    /// sends the HEADERS frame: the caller keeps the block alive until the stream closes.
    func submitRequest(
        _ headers: NGHTTP2HeaderBlock, body: ByteBuffer?, endStream: Bool
    ) throws(NGHTTP2Error) -> Int32 {
        let nva = headers.pairs
        let streamID: Int32
        if endStream && body == nil {
            streamID = nghttp2_submit_request(session, nil, nva.baseAddress, nva.count, nil, nil)
        } else {
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: onReadBody)
            streamID = nghttp2_submit_request(session, nil, nva.baseAddress, nva.count, &provider, nil)
        }
        try check(streamID)
        if !(endStream && body == nil) {
            outbound[streamID] = OutboundBody(buffer: body ?? allocator.buffer(capacity: 0), finished: endStream)
        }
        return streamID
    }

    /// Sends response headers. Without a body the HEADERS frame ends the stream (a gRPC
    /// trailers-only response); with one, DATA follows from `appendBody`, then trailers.
    func submitResponse(streamID: Int32, headers: [HeaderField], hasBody: Bool) throws(NGHTTP2Error) {
        let result = withNameValues(headers) { nva, count in
            guard hasBody else { return nghttp2_submit_response(session, streamID, nva, count, nil) }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: onReadBody)
            return nghttp2_submit_response(session, streamID, nva, count, &provider)
        }
        try check(result)
        if hasBody { outbound[streamID] = OutboundBody(buffer: allocator.buffer(capacity: 0)) }
    }

    /// Queues body bytes on a stream opened with a body. `finish` ends the body: with
    /// `trailers` the stream then waits for `submitTrailers` (signalled by `.trailersDue`).
    func appendBody(streamID: Int32, _ bytes: ByteBuffer?, finish: Bool = false, trailers: Bool = false) {
        let wasDeferred = outbound.modify(streamID) { body in
            if var bytes { body.buffer.writeBuffer(&bytes) }
            if finish {
                body.finished = true
                body.hasTrailers = trailers
            }
            defer { body.deferred = false }
            return body.deferred
        }
        if wasDeferred == true { nghttp2_session_resume_data(session, streamID) }
    }

    /// Bytes queued on a stream that nghttp2 has not yet taken (flow control or socket).
    func pendingBodyBytes(streamID: Int32) -> Int { outbound[streamID]?.buffer.readableBytes ?? 0 }

    func submitTrailers(streamID: Int32, _ trailers: [HeaderField]) throws(NGHTTP2Error) {
        try check(withNameValues(trailers) { nghttp2_submit_trailer(session, streamID, $0, $1) })
    }

    func submitReset(streamID: Int32, code: HTTP2ErrorCode) {
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, code.rawValue)
    }

    /// The first GOAWAY of a graceful shutdown: last-stream-id 2^31-1, so streams already
    /// on the wire are still accepted (RFC 9113 section 6.8).
    func submitShutdownNotice() {
        nghttp2_submit_shutdown_notice(session)
    }

    func submitPing() {
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
    }

    /// The final GOAWAY: streams above `lastStreamID` are refused and safe to retry.
    func submitGoaway(lastStreamID: Int32, code: HTTP2ErrorCode) {
        nghttp2_submit_goaway(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), lastStreamID, code.rawValue, nil, 0)
    }

    /// Returns flow-control credit for `count` bytes of a stream's DATA the application has taken.
    func consume(streamID: Int32, count: Int) {
        guard count > 0 else { return }
        nghttp2_session_consume(session, streamID, count)
    }

    // MARK: - Callback bodies (record only)

    fileprivate func beginHeaders() {
        pendingHeaders.removeAll(keepingCapacity: true)
        pendingHeaderBytes = 0
    }

    fileprivate func header(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) -> Int32 {
        // RFC 9113 section 6.5.2 size accounting: name + value + 32 per field.
        pendingHeaderBytes += name.count + value.count + 32
        if pendingHeaderBytes > maxHeaderListSize { return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue }
        pendingHeaders.append(HeaderField(Self.text(name), Self.text(value)))
        return 0
    }

    /// Header texts longer than Swift keeps inline (15 bytes) that every gRPC call repeats:
    /// handed out as they are instead of allocated anew for each call.
    private static let commonLongTexts = ["application/grpc", "application/grpc+proto", "grpc-accept-encoding"]

    private static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if bytes.count > 15 {
            for text in commonLongTexts where text.utf8.count == bytes.count {
                if text.utf8.withContiguousStorageIfAvailable({ $0.elementsEqual(bytes) }) == true { return text }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    fileprivate func frameReceived(_ frame: UnsafePointer<nghttp2_frame>) {
        let hd = frame.pointee.hd
        let endStream = hd.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch UInt32(hd.type) {
        case NGHTTP2_HEADERS.rawValue:
            events.append(.headers(streamID: hd.stream_id, fields: pendingHeaders, endStream: endStream))
            pendingHeaders.removeAll(keepingCapacity: true)
        case NGHTTP2_DATA.rawValue where endStream:
            // The payload (if any) was recorded chunk by chunk; mark the end on the last chunk.
            if case .data(let id, let bytes, false)? = events.last, id == hd.stream_id {
                events[events.count - 1] = .data(streamID: id, bytes: bytes, endStream: true)
            } else {
                events.append(.endStream(streamID: hd.stream_id))
            }
        case NGHTTP2_RST_STREAM.rawValue:
            events.append(
                .rstStreamReceived(
                    streamID: hd.stream_id, code: HTTP2ErrorCode(rawValue: frame.pointee.rst_stream.error_code)))
        case NGHTTP2_GOAWAY.rawValue:
            let goaway = frame.pointee.goaway
            let debug =
                goaway.opaque_data_len > 0
                ? String(decoding: UnsafeBufferPointer(start: goaway.opaque_data, count: goaway.opaque_data_len),
                    as: UTF8.self) : ""
            events.append(
                .goawayReceived(
                    lastStreamID: goaway.last_stream_id, code: HTTP2ErrorCode(rawValue: goaway.error_code),
                    debug: debug))
        case NGHTTP2_PING.rawValue where hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0:
            events.append(.pingAckReceived)
        case NGHTTP2_PING.rawValue:
            events.append(.pingReceived)
        case NGHTTP2_SETTINGS.rawValue where hd.flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0:
            events.append(.settingsReceived)
        default:
            break
        }
    }

    fileprivate func dataChunk(streamID: Int32, bytes: UnsafeBufferPointer<UInt8>) {
        events.append(.data(streamID: streamID, bytes: allocator.buffer(bytes: bytes), endStream: false))
    }

    fileprivate func streamClosed(streamID: Int32, code: UInt32) {
        outbound[streamID] = nil
        events.append(.streamClosed(streamID: streamID, code: HTTP2ErrorCode(rawValue: code)))
    }

    fileprivate func frameSent(_ frame: UnsafePointer<nghttp2_frame>) {
        let hd = frame.pointee.hd
        switch UInt32(hd.type) {
        case NGHTTP2_HEADERS.rawValue where frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST:
            events.append(.headersSent(streamID: hd.stream_id))
        case NGHTTP2_GOAWAY.rawValue:
            events.append(
                .goawaySent(
                    lastStreamID: frame.pointee.goaway.last_stream_id,
                    code: HTTP2ErrorCode(rawValue: frame.pointee.goaway.error_code)))
        default:
            break
        }
    }

    fileprivate func error(_ message: UnsafeBufferPointer<CChar>) {
        events.append(.protocolError(String(decoding: UnsafeRawBufferPointer(message), as: UTF8.self)))
    }

    fileprivate func readBody(
        streamID: Int32, into destination: UnsafeMutablePointer<UInt8>, length: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        // In place: one lookup, and the queued bytes are not copied out and back.
        var trailersDue = false
        let read = outbound.modify(streamID) { body in
            body.read(into: destination, length: length, flags: flags) { trailersDue = true }
        }
        guard let read else {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        if trailersDue { events.append(.trailersDue(streamID: streamID)) }
        return read
    }

    // MARK: - Helpers

    private func withNameValues<R>(_ fields: [HeaderField], _ body: (UnsafePointer<nghttp2_nv>, Int) -> R) -> R {
        // nghttp2 copies the fields during the submit call, so a block for this call alone will do.
        let block = NGHTTP2HeaderBlock(fields, retainedUntilSent: false)
        return withExtendedLifetime(block) { body(block.pairs.baseAddress!, block.pairs.count) }
    }
}

/// Header fields laid out as nghttp2 name/value pairs in memory this object owns.
///
/// A block built once and sent many times (every call of a load test's method) is
/// `retainedUntilSent`: nghttp2 is told not to copy the names and values (NO_COPY), so
/// submitting a request costs neither building nor copying its fields; whoever submits it
/// keeps the block alive until the stream closes, as nghttp2 reads it when it sends HEADERS.
final class NGHTTP2HeaderBlock: @unchecked Sendable {
    let fields: [HeaderField]
    /// Immutable after init (hence the unchecked Sendable): names and values back to back.
    private let bytes: UnsafeMutableRawBufferPointer
    let pairs: UnsafeMutableBufferPointer<nghttp2_nv>

    init(_ fields: [HeaderField], retainedUntilSent: Bool) {
        self.fields = fields
        let flags = UInt8(
            retainedUntilSent
                ? NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue
                : NGHTTP2_NV_FLAG_NONE.rawValue)
        let size = fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count }
        bytes = .allocate(byteCount: max(size, 1), alignment: 1)
        // At least one element, so there is always a base address to hand nghttp2 and to free.
        let storage = UnsafeMutablePointer<nghttp2_nv>.allocate(capacity: max(fields.count, 1))
        var offset = 0
        for (index, field) in fields.enumerated() {
            let name = Self.place(field.name, in: bytes, at: &offset)
            let value = Self.place(field.value, in: bytes, at: &offset)
            (storage + index).initialize(
                to: nghttp2_nv(
                    name: name.baseAddress, value: value.baseAddress, namelen: name.count, valuelen: value.count,
                    flags: flags))
        }
        pairs = UnsafeMutableBufferPointer(start: storage, count: fields.count)
    }

    deinit {
        bytes.deallocate()
        pairs.baseAddress!.deallocate()
    }

    private static func place(
        _ text: String, in bytes: UnsafeMutableRawBufferPointer, at offset: inout Int
    ) -> UnsafeMutableBufferPointer<UInt8> {
        let start = offset
        offset += text.utf8.count
        UnsafeMutableRawBufferPointer(rebasing: bytes[start..<offset]).copyBytes(from: text.utf8)
        return UnsafeMutableRawBufferPointer(rebasing: bytes[start..<offset]).bindMemory(to: UInt8.self)
    }
}

private func check(_ result: Int32) throws(NGHTTP2Error) {
    if result < 0 { throw NGHTTP2Error(rawValue: result) }
}

/// Runs `body` on the session behind a callback's user data. The session outlives every
/// callback (they run inside its own calls into nghttp2), so no retain and release per callback.
private func withOwner<Result>(_ userData: UnsafeMutableRawPointer?, _ body: (NGHTTP2Session) -> Result) -> Result {
    Unmanaged<NGHTTP2Session>.fromOpaque(userData!)._withUnsafeGuaranteedRef(body)
}

// C callbacks: recover the Swift owner from user data and record what happened.

private let onBeginHeaders: nghttp2_on_begin_headers_callback = { _, _, userData in
    withOwner(userData) { $0.beginHeaders() }
    return 0
}

private let onHeader: nghttp2_on_header_callback = { _, _, name, nameLength, value, valueLength, _, userData in
    withOwner(userData) {
        $0.header(
            name: UnsafeBufferPointer(start: name, count: nameLength),
            value: UnsafeBufferPointer(start: value, count: valueLength))
    }
}

private let onFrameRecv: nghttp2_on_frame_recv_callback = { _, frame, userData in
    if let frame { withOwner(userData) { $0.frameReceived(frame) } }
    return 0
}

private let onDataChunkRecv: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, data, length, userData in
    withOwner(userData) { $0.dataChunk(streamID: streamID, bytes: UnsafeBufferPointer(start: data, count: length)) }
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, userData in
    withOwner(userData) { $0.streamClosed(streamID: streamID, code: errorCode) }
    return 0
}

private let onFrameSend: nghttp2_on_frame_send_callback = { _, frame, userData in
    if let frame { withOwner(userData) { $0.frameSent(frame) } }
    return 0
}

private let onError: nghttp2_error_callback2 = { _, _, message, length, userData in
    if let message { withOwner(userData) { $0.error(UnsafeBufferPointer(start: message, count: length)) } }
    return 0
}

private let onReadBody: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, userData in
    withOwner(userData) { $0.readBody(streamID: streamID, into: buffer!, length: length, flags: flags!) }
}
