@testable import AccordGRPC
import NIOCore
import Testing

@Suite struct GRPCMessageDeframerTests {
    static func framed(_ messages: [[UInt8]]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for message in messages { GRPCMessageFramer.frame(message, into: &buffer) }
        return buffer
    }

    @Test func splitsMessagesAcrossAnyChunking() throws {
        let messages: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 300), [4]]
        let wire = Self.framed(messages)
        for chunkSize in [1, 2, 5, 7, 64, wire.readableBytes] {
            var deframer = GRPCMessageDeframer(maxMessageSize: 1024)
            var out: [[UInt8]] = []
            var rest = wire
            while let chunk = rest.readSlice(length: min(chunkSize, rest.readableBytes)), chunk.readableBytes > 0 {
                deframer.append(chunk)
                while let message = try deframer.next() { out.append(Array(message.readableBytesView)) }
            }
            try deframer.finish()
            #expect(out == messages, "chunk size \(chunkSize)")
        }
    }

    @Test func rejectsOversizedCompressedAndTruncatedMessages() throws {
        var big = GRPCMessageDeframer(maxMessageSize: 10)
        big.append(Self.framed([Array(repeating: 0, count: 11)]))
        #expect(throws: GRPCMessageDeframer.Failure.messageTooLarge(length: 11, limit: 10)) { try big.next() }

        var compressed = GRPCMessageDeframer(maxMessageSize: 10)
        compressed.append(ByteBuffer(bytes: [1, 0, 0, 0, 1, 0]))
        #expect(throws: GRPCMessageDeframer.Failure.compressedWithoutEncoding) { try compressed.next() }

        var truncated = GRPCMessageDeframer(maxMessageSize: 10)
        truncated.append(ByteBuffer(bytes: [0, 0, 0, 0, 5, 1, 2]))
        #expect(try truncated.next() == nil)
        #expect(throws: GRPCMessageDeframer.Failure.truncated(buffered: 7)) { try truncated.finish() }
    }

    @Test func anOversizedLengthIsRejectedBeforeItsBytesArrive() {
        // Only the 5-byte prefix: the limit applies without buffering the 4 GiB it announces.
        var deframer = GRPCMessageDeframer(maxMessageSize: 4 << 20)
        deframer.append(ByteBuffer(bytes: [0, 0xFF, 0xFF, 0xFF, 0xFF]))
        #expect(throws: GRPCMessageDeframer.Failure.messageTooLarge(length: 0xFFFF_FFFF, limit: 4 << 20)) {
            try deframer.next()
        }
    }
}
