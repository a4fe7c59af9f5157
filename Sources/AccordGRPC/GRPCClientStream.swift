import NIOCore

/// One client call's state on its connection: what the response said so far and how the call
/// ends. A value type without I/O, kept in the connection's stream table and changed in place,
/// so a response's several events touch the table once each instead of a class's fields one
/// by one (each with its own run-time exclusivity check).
struct GRPCClientStream {
    var result: GRPCCallResult
    var deframer: GRPCMessageDeframer
    let sink: GRPCResponseSink
    let completion: GRPCCallCompletion
    /// Held until the stream ends: nghttp2 reads the header bytes in place when it sends them.
    let headers: NGHTTP2HeaderBlock
    var sawHeaders = false
    var trailersStatus: GRPCStatus?
    var resetCode: HTTP2ErrorCode?
    /// A status decided here (cancel, deadline, a bad response), which wins over the server's.
    var localStatus: (GRPCStatus, GRPCCallOutcome)?

    init(
        result: GRPCCallResult, maxMessageSize: Int, sink: GRPCResponseSink, completion: GRPCCallCompletion,
        headers: NGHTTP2HeaderBlock
    ) {
        self.result = result
        self.deframer = GRPCMessageDeframer(maxMessageSize: maxMessageSize)
        self.sink = sink
        self.completion = completion
        self.headers = headers
    }

    /// A HEADERS block: the response headers first, trailers after.
    mutating func receivedHeaders(_ fields: [HeaderField], endStream: Bool, at time: UInt64) {
        guard sawHeaders else {
            sawHeaders = true
            result.timings.headersReceived = time
            responseHeaders(fields, endStream: endStream)
            return
        }
        trailersStatus = GRPCStatus(trailers: fields)
        result.trailingMetadata = GRPCMetadata(headerFields: fields)
    }

    private mutating func responseHeaders(_ fields: [HeaderField], endStream: Bool) {
        let httpStatus = fields.first(where: { $0.name == ":status" })?.value ?? ""
        let contentType = fields.first(where: { $0.name == "content-type" })?.value ?? ""
        result.initialMetadata = GRPCMetadata(headerFields: fields)
        if let status = GRPCStatus(trailers: fields), endStream {
            // Trailers-only: the status arrives in the only HEADERS frame.
            trailersStatus = status
            result.initialMetadata = GRPCMetadata()
            result.trailingMetadata = GRPCMetadata(headerFields: fields)
        } else if httpStatus != "200" {
            localStatus = (
                GRPCStatus(Self.statusCode(forHTTPStatus: httpStatus), "HTTP status \(httpStatus)"),
                .protocolViolation("HTTP status \(httpStatus)")
            )
        } else if !contentType.hasPrefix("application/grpc") {
            localStatus = (
                GRPCStatus(.unknown, "unexpected content-type '\(contentType)'"),
                .protocolViolation("content-type '\(contentType)'")
            )
        }
    }

    /// The gRPC code for a non-200 HTTP status (gRPC's http-grpc-status-mapping).
    static func statusCode(forHTTPStatus status: String) -> GRPCStatus.Code {
        switch status {
        case "400": .internal
        case "401": .unauthenticated
        case "403": .permissionDenied
        case "404": .unimplemented
        case "429", "502", "503", "504": .unavailable
        default: .unknown
        }
    }

    /// What a DATA chunk asks of the connection once the stream is out of the table's hands.
    struct Received {
        /// Messages for a callback sink, to hand over outside the table (the callback may start
        /// another call); collected and streamed messages are taken care of already.
        var deliveries: [ByteBuffer] = []
        /// The framing was bad: reset the stream (its status is set).
        var reset = false
    }

    /// Response DATA: whole messages are collected, streamed, or returned for delivery.
    mutating func received(_ bytes: ByteBuffer, at time: UInt64) -> Received {
        var received = Received()
        deframer.append(bytes)
        do {
            while let message = try deframer.next() {
                if result.timings.firstMessage == nil { result.timings.firstMessage = time }
                switch sink {
                case .collect: result.messages.append(message)
                case .stream(let continuation): continuation.yield(message)
                case .callback: received.deliveries.append(message)
                }
            }
        } catch {
            guard localStatus == nil else { return received }
            let status: GRPCStatus =
                switch error {
                case .messageTooLarge(let length, let limit):
                    GRPCStatus(.resourceExhausted, "response message of \(length) bytes is over the limit of \(limit)")
                default: GRPCStatus(.internal, "bad response framing: \(error)")
                }
            localStatus = (status, .protocolViolation(status.message))
            received.reset = true
        }
        return received
    }

    /// How the call ends when its stream closed with `code`. `refusedByGoaway` says the stream
    /// was above a GOAWAY's last-stream-id.
    func ending(closedWith code: HTTP2ErrorCode, refusedByGoaway: Bool) -> (GRPCStatus, GRPCCallOutcome) {
        if let localStatus { return localStatus }
        if let trailersStatus {
            do {
                try deframer.finish()
                return (trailersStatus, .completed)
            } catch {
                let status = GRPCStatus(.internal, "the response ended inside a message")
                return (status, .protocolViolation("truncated message"))
            }
        }
        if code == .refusedStream || resetCode == .refusedStream || refusedByGoaway {
            return (GRPCStatus(.unavailable, "stream refused by the server"), .refused)
        }
        let reset = resetCode ?? code
        let statusCode: GRPCStatus.Code = reset == .cancel ? .cancelled : .unavailable
        return (GRPCStatus(statusCode, "stream reset with \(reset)"), .reset(reset))
    }
}
