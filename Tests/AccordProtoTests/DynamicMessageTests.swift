import AccordProto
import Testing

/// Reading and writing fields of a dynamic message by name.
@Suite struct DynamicMessageTests {
    @Test func readsZeroForUnsetFieldsWithoutPresence() throws {
        let scalars = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Scalars"))
        #expect(scalars["f_int32"] == .int32(0))
        #expect(scalars["fUint64"] == .uint64(0))
        #expect(scalars["f_string"] == .string(""))
        #expect(scalars["f_status"] == .enumNumber(0))
        #expect(scalars["f_money"] == nil)
        #expect(scalars["no_such_field"] == nil)
        #expect(!scalars.has("f_int32"))
        let repeated = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Repeated"))
        #expect(repeated["r_money"] == .list([]))
        let maps = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Maps"))
        #expect(maps["bool_to_string"] == .map([:]))
        let presence = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Presence"))
        #expect(presence["count"] == nil)
        #expect(presence["plain"] == .int32(0))
    }

    @Test func keepsPresenceOnlyWhereTheFieldHasIt() throws {
        var presence = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Presence"))
        try presence.set("count", to: .int32(0))
        try presence.set("plain", to: .int32(0))
        #expect(presence.has("count"))
        #expect(!presence.has("plain"))
        #expect(presence.setFields.map(\.field.name) == ["count"])
        #expect(presence.serializedBytes() == [0x08, 0x00])
        try presence.set("count", to: nil)
        #expect(presence["count"] == nil)
        #expect(presence.serializedBytes().isEmpty)
    }

    @Test func setsOneOneofMemberAtATime() throws {
        var choice = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Choice"))
        try choice.set("card_token", to: .string("t"))
        try choice.set("pickup", to: .bool(false))
        #expect(choice.whichOneof("payment")?.name == "card_token")
        #expect(choice.whichOneof("delivery")?.name == "pickup")
        try choice.set("voucher", to: .int32(5))
        #expect(choice.whichOneof("payment")?.name == "voucher")
        #expect(choice["card_token"] == nil)
        #expect(choice["pickup"] == .bool(false))
        choice.clear("voucher")
        #expect(choice.whichOneof("payment") == nil)
        #expect(choice.whichOneof("no_such_oneof") == nil)
    }

    static let mismatches: [(field: String, value: ProtoValue, problem: String)] = [
        ("f_int32", .int64(1), "expected int32, got int64"),
        ("f_sint64", .int32(1), "expected sint64, got int32"),
        ("f_fixed32", .int32(1), "expected fixed32, got int32"),
        ("f_status", .int32(1), "expected shop.orders.v1.Status, got int32"),
        ("f_string", .list([.string("a")]), "expected string, got list"),
        ("no_such", .bool(true), "no such field"),
    ]

    @Test(arguments: mismatches.indices)
    func refusesValuesOfTheWrongKind(index: Int) throws {
        let item = Self.mismatches[index]
        var scalars = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Scalars"))
        let error = #expect(throws: ProtoValueError.self) { try scalars.set(item.field, to: item.value) }
        #expect(error?.problem == item.problem)
        #expect(error?.message == "shop.orders.v1.Scalars")
        #expect(!scalars.has(item.field))
    }

    @Test func checksListElementsAndMapEntries() throws {
        var repeated = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Repeated"))
        let listError = #expect(throws: ProtoValueError.self) {
            try repeated.set("r_uint32", to: .list([.uint32(1), .int32(2)]))
        }
        #expect(listError?.problem == "element 1 is int32, expected uint32")
        #expect(throws: ProtoValueError.self) { try repeated.set("r_uint32", to: .uint32(1)) }

        var maps = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.Maps"))
        let keyError = #expect(throws: ProtoValueError.self) {
            try maps.set("int32_to_int64", to: .map([.int64(1): .int64(1)]))
        }
        #expect(keyError?.problem == "map key int64 is not int32")
        let valueError = #expect(throws: ProtoValueError.self) {
            try maps.set("sint32_to_status", to: .map([.int32(1): .int32(1)]))
        }
        #expect(valueError?.problem == "map value int32 is not shop.orders.v1.Status")
        let item = DynamicMessage(type: try ProtoFixtures.message("shop.orders.v1.OrderItem"))
        let messageError = #expect(throws: ProtoValueError.self) {
            try maps.set("sint64_to_money", to: .map([.int64(1): .message(item)]))
        }
        #expect(messageError?.problem == "map value shop.orders.v1.OrderItem is not shop.common.v1.Money")
        try maps.set("sint32_to_status", to: .map([.int32(-1): .enumNumber(2)]))
        #expect(maps["sint32ToStatus"] == .map([.int32(-1): .enumNumber(2)]))
    }

    @Test func readsNestedValuesByName() throws {
        let type = try ProtoFixtures.message("shop.orders.v1.CreateOrderRequest")
        let request = try DynamicMessage(jsonText: #"{"user_id": "u-1", "items": [{"sku": "s", "qty": 2}]}"#,
                                         type: type)
        #expect(request["user_id"]?.stringValue == "u-1")
        #expect(request["userId"] == request["user_id"])
        let item = try #require(request["items"]?.listValue?.first?.messageValue)
        #expect(item["qty"]?.int64Value == 2)
        #expect(item.descriptor.fullName == "shop.orders.v1.OrderItem")
        let field = try #require(type.field(named: "items"))
        #expect(request[field] == request["items"])
    }
}
