import AccordContracts
import AccordJSON
import AccordServices
import AccordTestSupport
import Foundation
import Testing

/// Event bodies both ways, for the shop's protobuf and JSON events.
@Suite struct EventCodecTests {
    static func codec(_ event: String) throws -> EventCodec {
        EventCodec(event: try #require(try ReferenceHandlersTests.shop.get().event(named: event)))
    }

    @Test func protobufEventsKeepTheFieldsTheMessageDeclares() throws {
        guard try ExternalTool.available("protoc") else { return }
        let codec = try Self.codec("order.created")
        #expect(codec.contentType == "application/x-protobuf")
        let body = try codec.encode(["order_id": "o-1", "id": "o-1", "items": [["sku": "s-1", "quantity": 2]],
                                     "total_cents": "2500", "not_a_field": true])
        #expect(try codec.decode(body) == ["order_id": "o-1", "items": [["sku": "s-1", "quantity": 2]],
                                            "total_cents": "2500"])
        #expect(throws: EventCodecError.self) { try codec.encode(["order_id": 42]) }
        #expect(throws: EventCodecError.self) { try codec.decode([0xFF, 0xFF]) }
    }

    @Test func jsonEventsKeepTheMembersTheSchemaDeclares() throws {
        guard try ExternalTool.available("protoc") else { return }
        let codec = try Self.codec("order.cancelled")
        #expect(codec.contentType == "application/json")
        // order-cancelled.json has additionalProperties: false: record fields beyond it are not sent.
        let body = try codec.encode(["order_id": "o-1", "reason": "out_of_stock", "id": "o-1",
                                     "status": "ORDER_STATUS_CANCELLED"])
        #expect(try JSONParser.parse(body) == ["order_id": "o-1", "reason": "out_of_stock"])
        #expect(try codec.decode(body) == ["order_id": "o-1", "reason": "out_of_stock"])
        #expect(throws: EventCodecError.self) { try codec.decode(Array("{".utf8)) }
    }
}
