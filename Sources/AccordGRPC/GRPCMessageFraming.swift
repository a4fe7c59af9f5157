import NIOCore

/// Splits a stream's DATA bytes into gRPC length-prefixed messages: a compressed flag
/// byte, a 4-byte big-endian length, then the message. A value type without I/O.
struct GRPCMessageDeframer {
    enum Failure: Error, Equatable {
        /// The declared length is above the limit; the call ends with RESOURCE_EXHAUSTED.
        case messageTooLarge(length: Int, limit: Int)
        /// The compressed flag is set but no compression was negotiated.
        case compressedWithoutEncoding
        /// The stream ended inside a message.
        case truncated(buffered: Int)
    }

    let maxMessageSize: Int
    private var buffer: ByteBuffer?

    init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Bytes held for a message not yet complete.
    var bufferedBytes: Int { buffer?.readableBytes ?? 0 }

    mutating func append(_ bytes: ByteBuffer) {
        if buffer == nil {
            buffer = bytes
        } else {
            var bytes = bytes
            buffer!.writeBuffer(&bytes)
        }
    }

    /// The next complete message, nil when more bytes are needed.
    mutating func next() throws(Failure) -> ByteBuffer? {
        guard var buffer, buffer.readableBytes >= 5 else { return nil }
        let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self)!
        let length = Int(buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)!)
        if flag & 1 != 0 { throw .compressedWithoutEncoding }
        if length > maxMessageSize { throw .messageTooLarge(length: length, limit: maxMessageSize) }
        guard buffer.readableBytes >= 5 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 5)
        let message = buffer.readSlice(length: length)!
        self.buffer = buffer.readableBytes == 0 ? nil : buffer
        return message
    }

    /// Called at end of stream: leftover bytes mean a message was cut off.
    func finish() throws(Failure) {
        if bufferedBytes > 0 { throw .truncated(buffered: bufferedBytes) }
    }
}

enum GRPCMessageFramer {
    /// Appends `message` to `buffer` with its 5-byte prefix (uncompressed).
    static func frame<Bytes: Collection<UInt8>>(_ message: Bytes, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.count))
        buffer.writeBytes(message)
    }

    static func frame(_ message: ByteBuffer, into buffer: inout ByteBuffer) {
        var message = message
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(message.readableBytes))
        buffer.writeBuffer(&message)
    }
}
