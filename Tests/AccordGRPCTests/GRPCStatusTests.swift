@testable import AccordGRPC
import Testing

@Suite struct GRPCStatusTests {
    @Test(arguments: [
        ("plain text", "plain text"), ("100%", "100%25"), ("ünï", "%C3%BCn%C3%AF"), ("a\nb", "a%0Ab"),
    ])
    func percentEncodesMessages(message: String, wire: String) {
        #expect(GRPCStatus.encodeMessage(message) == wire)
        #expect(GRPCStatus.decodeMessage(wire) == message)
    }

    @Test func decodingIsLenientWithBrokenEscapes() {
        #expect(GRPCStatus.decodeMessage("50%") == "50%")
        #expect(GRPCStatus.decodeMessage("%zz!") == "%zz!")
    }

    @Test func readsStatusFromTrailers() {
        let status = GRPCStatus(trailers: [HeaderField("grpc-status", "5"), HeaderField("grpc-message", "gone%21")])
        #expect(status == GRPCStatus(.notFound, "gone!"))
        #expect(GRPCStatus(trailers: [HeaderField("grpc-status", "99")])?.code == .unknown)
        #expect(GRPCStatus(trailers: []) == nil)
    }

    @Test func binaryMetadataIsBase64OnTheWire() {
        var metadata = GRPCMetadata()
        metadata.add("x-id-bin", .binary([0xFF, 0x00]))
        metadata.add("X-Name", "v")
        #expect(metadata.headerFields == [HeaderField("x-id-bin", "/wA="), HeaderField("x-name", "v")])
        // Receivers accept unpadded base64, and never treat protocol headers as metadata.
        let received = GRPCMetadata(headerFields: [
            HeaderField("x-id-bin", "/wA"), HeaderField(":status", "200"), HeaderField("grpc-status", "0"),
            HeaderField("content-type", "application/grpc"),
        ])
        #expect(received == GRPCMetadata([("x-id-bin", .binary([0xFF, 0x00]))]))
    }
}
