@testable import AccordGRPC
import NIOCore
import Testing

@Suite struct GRPCClientStreamTests {
    private static let okHeaders = [HeaderField(":status", "200"), HeaderField("content-type", "application/grpc")]

    private func makeStream(sink: GRPCResponseSink = .collect, maxMessageSize: Int = 1 << 20) -> GRPCClientStream {
        var result = GRPCCallResult(
            status: GRPCStatus(.unknown), outcome: .completed, timings: GRPCCallTimings(started: 10), connectionID: 1)
        result.streamID = 1
        return GRPCClientStream(
            result: result, maxMessageSize: maxMessageSize, sink: sink, completion: .callback { _ in },
            headers: NGHTTP2HeaderBlock([], retainedUntilSent: false))
    }

    private func framed(_ texts: [String]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for text in texts { GRPCMessageFramer.frame(Array(text.utf8), into: &buffer) }
        return buffer
    }

    @Test func headersMessagesAndTrailersEndTheCallWithTheServersStatus() {
        var stream = makeStream()
        stream.receivedHeaders(Self.okHeaders + [HeaderField("x-trace", "t1")], endStream: false, at: 20)
        var bytes = framed(["one", "two"])
        let first = bytes.readSlice(length: 10)!
        #expect(stream.received(first, at: 30).deliveries.isEmpty)
        #expect(stream.received(bytes, at: 40).deliveries.isEmpty)
        stream.receivedHeaders(
            [HeaderField("grpc-status", "5"), HeaderField("grpc-message", "gone")], endStream: true, at: 50)
        let (status, outcome) = stream.ending(closedWith: .noError, refusedByGoaway: false)
        #expect(status == GRPCStatus(.notFound, "gone"))
        #expect(outcome == .completed)
        #expect(stream.result.messages.map { String(buffer: $0) } == ["one", "two"])
        #expect(stream.result.initialMetadata.text("x-trace") == "t1")
        #expect(stream.result.timings.headersReceived == 20)
        #expect(stream.result.timings.firstMessage == 30)
    }

    @Test func aTrailersOnlyResponseCarriesTheStatusInItsOnlyHeaders() {
        var stream = makeStream()
        stream.receivedHeaders(Self.okHeaders + [HeaderField("grpc-status", "12")], endStream: true, at: 20)
        #expect(stream.ending(closedWith: .noError, refusedByGoaway: false).0.code == .unimplemented)
        #expect(stream.result.initialMetadata.isEmpty)
    }

    @Test(arguments: [("503", GRPCStatus.Code.unavailable), ("404", .unimplemented), ("418", .unknown)])
    func aNonGRPCHTTPStatusMapsToAGRPCCode(httpStatus: String, code: GRPCStatus.Code) {
        var stream = makeStream()
        stream.receivedHeaders([HeaderField(":status", httpStatus)], endStream: false, at: 20)
        let (status, outcome) = stream.ending(closedWith: .noError, refusedByGoaway: false)
        #expect(status.code == code)
        #expect(outcome == .protocolViolation("HTTP status \(httpStatus)"))
    }

    @Test func aResponseEndingInsideAMessageIsAViolationNotASuccess() {
        var stream = makeStream()
        stream.receivedHeaders(Self.okHeaders, endStream: false, at: 20)
        var bytes = framed(["cut short"])
        _ = stream.received(bytes.readSlice(length: 7)!, at: 30)
        stream.receivedHeaders([HeaderField("grpc-status", "0")], endStream: true, at: 40)
        let (status, outcome) = stream.ending(closedWith: .noError, refusedByGoaway: false)
        #expect(status.code == .internal)
        #expect(outcome == .protocolViolation("truncated message"))
    }

    @Test func anOversizedMessageResetsTheStreamWithResourceExhausted() {
        var stream = makeStream(maxMessageSize: 4)
        stream.receivedHeaders(Self.okHeaders, endStream: false, at: 20)
        #expect(stream.received(framed(["too long"]), at: 30).reset)
        #expect(stream.ending(closedWith: .cancel, refusedByGoaway: false).0.code == .resourceExhausted)
    }

    @Test func callbackMessagesAreHandedBackForDeliveryOutsideTheTable() {
        var stream = makeStream(sink: .callback { _ in })
        stream.receivedHeaders(Self.okHeaders, endStream: false, at: 20)
        let received = stream.received(framed(["a", "b"]), at: 30)
        #expect(received.deliveries.map { String(buffer: $0) } == ["a", "b"])
        #expect(stream.result.messages.isEmpty)
    }

    @Test func streamsClosedWithoutAStatusAreRefusedOrReset() {
        var stream = makeStream()
        #expect(stream.ending(closedWith: .refusedStream, refusedByGoaway: false).1 == .refused)
        #expect(stream.ending(closedWith: .noError, refusedByGoaway: true).1 == .refused)
        #expect(stream.ending(closedWith: .cancel, refusedByGoaway: false).0.code == .cancelled)
        stream.resetCode = .internalError
        #expect(stream.ending(closedWith: .noError, refusedByGoaway: false).1 == .reset(.internalError))
        stream.localStatus = (GRPCStatus(.deadlineExceeded, "deadline exceeded"), .deadlineExceeded)
        #expect(stream.ending(closedWith: .cancel, refusedByGoaway: false).1 == .deadlineExceeded)
    }
}
