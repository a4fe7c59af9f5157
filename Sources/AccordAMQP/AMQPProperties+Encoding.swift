/// Sizes of the AMQP 0-9-1 wire encoding, computed before publishing.
///
/// rabbitmq-c sends `basic.publish` before it encodes the content header, so a header that fails to
/// encode (a table larger than the frame, a string over 255 bytes) would leave the broker waiting for
/// a header that never comes. Checking first turns that into a typed error for this message alone.
extension AMQPProperties {
    /// Bytes of a content-header frame payload (class, weight, body size, flags and properties).
    func contentHeaderSize(operation: String) throws(AMQPError) -> Int {
        var size = 2 + 2 + 8 + 2
        func add(_ value: String?, _ name: String) throws(AMQPError) {
            if let value { size += try Self.shortStringSize(value, what: name, operation: operation) }
        }
        try add(contentType, "content-type")
        try add(contentEncoding, "content-encoding")
        try add(correlationID, "correlation-id")
        try add(replyTo, "reply-to")
        try add(expiration, "expiration")
        try add(messageID, "message-id")
        try add(type, "type")
        try add(userID, "user-id")
        try add(appID, "app-id")
        if deliveryMode != nil { size += 1 }
        if priority != nil { size += 1 }
        if timestamp != nil { size += 8 }
        if let headers { size += try Self.tableSize(headers, operation: operation) }
        return size
    }

    /// Throws `frameTooLarge` when the content header would not fit into one frame of `frameMax` bytes.
    func checkFits(frameMax: Int, operation: String) throws(AMQPError) {
        let size = try contentHeaderSize(operation: operation)
        // A frame is 7 bytes of header, the payload, and a frame-end octet.
        if size + 8 > frameMax {
            throw AMQPError(.frameTooLarge, operation: operation,
                            text: "the content header (properties and headers) takes \(size + 8) bytes, "
                                + "more than the negotiated frame-max of \(frameMax)")
        }
    }

    static func shortStringSize(_ text: String, what: @autoclosure () -> String,
                                operation: String) throws(AMQPError) -> Int {
        let count = text.utf8.count
        guard count <= 255 else {
            throw AMQPError(.invalidArgument, operation: operation,
                            text: "\(what()) is \(count) bytes; AMQP short strings hold at most 255")
        }
        return 1 + count
    }

    static func tableSize(_ table: AMQPTable, operation: String) throws(AMQPError) -> Int {
        var size = 4
        for (key, value) in table {
            size += try shortStringSize(key, what: "header name '\(key.prefix(40))'", operation: operation)
            size += 1 + (try valueSize(value, operation: operation))
        }
        return size
    }

    private static func valueSize(_ value: AMQPFieldValue, operation: String) throws(AMQPError) -> Int {
        switch value {
        case .bool, .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float: return 4
        case .int64, .double, .timestamp: return 8
        case .decimal: return 5
        case .string(let text): return 4 + text.utf8.count
        case .bytes(let bytes): return 4 + bytes.count
        case .table(let table): return try tableSize(table, operation: operation)
        case .array(let values):
            var size = 4
            for element in values { size += 1 + (try valueSize(element, operation: operation)) }
            return size
        case .void: return 0
        }
    }
}
