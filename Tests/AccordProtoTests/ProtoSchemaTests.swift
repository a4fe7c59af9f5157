import AccordDocuments
import AccordProto
import Foundation
import Testing

/// Looking up services, messages, enums and fields by name, with their source positions.
@Suite struct ProtoSchemaTests {
    @Test func listsServiceMethodsWithPathsTypesAndStreaming() throws {
        let service = try #require(try ProtoFixtures.schema().service(named: "shop.orders.v1.OrderService"))
        let methods = service.methods.map {
            "\($0.path) \($0.inputType.name) -> \($0.outputType.name) \($0.clientStreaming) \($0.serverStreaming)"
        }
        #expect(methods == [
            "/shop.orders.v1.OrderService/CreateOrder CreateOrderRequest -> Order false false",
            "/shop.orders.v1.OrderService/GetOrder GetOrderRequest -> Order false false",
            "/shop.orders.v1.OrderService/ListOrders ListOrdersRequest -> Order false true",
            "/shop.orders.v1.OrderService/UploadOrders CreateOrderRequest -> OrderSummary true false",
            "/shop.orders.v1.OrderService/Chat GetOrderRequest -> Order true true",
        ])
        #expect(service.method(named: "GetOrder")?.inputType.fullName == "shop.orders.v1.GetOrderRequest")
        let byPath = try #require(try ProtoFixtures.schema().method(path: "/shop.orders.v1.OrderService/ListOrders"))
        #expect(byPath.name == "ListOrders")
        #expect(try ProtoFixtures.schema().method(path: "/shop.orders.v1.OrderService/Nope") == nil)
        #expect(try ProtoFixtures.schema().method(path: "/no.Such/CreateOrder") == nil)
        #expect(service.method(named: "CreateOrder")?.serviceName == "shop.orders.v1.OrderService")
    }

    @Test func findsTypesByFullName() throws {
        let schema = try ProtoFixtures.schema()
        #expect(schema.message(named: "shop.common.v1.Money")?.file == "shop/common/money.proto")
        #expect(schema.message(named: ".shop.orders.v1.Order")?.name == "Order")
        #expect(schema.message(named: "shop.orders.v1.Maps.Int32ToInt64Entry")?.isMapEntry == true)
        #expect(schema.message(named: "google.protobuf.Timestamp") != nil)
        #expect(schema.message(named: "Order") == nil)
        let url = "type.googleapis.com/shop.orders.v1.Order"
        #expect(schema.message(typeURL: url)?.fullName == "shop.orders.v1.Order")
        let status = try #require(schema.enumType(named: "shop.orders.v1.Status"))
        #expect(status.values.map(\.name) == ["STATUS_UNSPECIFIED", "PENDING", "SHIPPED", "CANCELLED"])
        #expect(status.name(of: -1) == "CANCELLED")
        #expect(status.number(of: "SHIPPED") == 2)
        #expect(status.name(of: 9) == nil)
        #expect(schema.services.map(\.fullName) == ["shop.orders.v1.OrderService"])
    }

    struct FieldFacts: Equatable, CustomStringConvertible {
        var number: Int32, jsonName: String, type: ProtoFieldType, label: ProtoFieldLabel
        var proto3Optional = false, presence = false, packed = false, oneof: String? = nil, typeName: String? = nil
        var description: String {
            "\(number) \(jsonName) \(type) \(label) opt=\(proto3Optional) presence=\(presence) packed=\(packed) "
                + "oneof=\(oneof ?? "-") type=\(typeName ?? "-")"
        }
    }

    static let fields: [(message: String, field: String, facts: FieldFacts)] = [
        ("Scalars", "f_sint64", FieldFacts(number: 8, jsonName: "fSint64", type: .sint64, label: .optional)),
        ("Scalars", "f_status", FieldFacts(number: 16, jsonName: "fStatus", type: .enumeration, label: .optional,
                                           typeName: "shop.orders.v1.Status")),
        ("Scalars", "f_money", FieldFacts(number: 17, jsonName: "fMoney", type: .message, label: .optional,
                                          presence: true, typeName: "shop.common.v1.Money")),
        ("Repeated", "r_int32", FieldFacts(number: 3, jsonName: "rInt32", type: .int32, label: .repeated,
                                           packed: true)),
        ("Repeated", "r_unpacked", FieldFacts(number: 18, jsonName: "rUnpacked", type: .int32, label: .repeated)),
        ("Repeated", "r_string", FieldFacts(number: 14, jsonName: "rString", type: .string, label: .repeated)),
        ("Choice", "credit", FieldFacts(number: 2, jsonName: "credit", type: .message, label: .optional,
                                        presence: true, oneof: "payment", typeName: "shop.common.v1.Money")),
        ("Choice", "pickup", FieldFacts(number: 5, jsonName: "pickup", type: .bool, label: .optional,
                                        presence: true, oneof: "delivery")),
        ("Presence", "count", FieldFacts(number: 1, jsonName: "count", type: .int32, label: .optional,
                                         proto3Optional: true, presence: true)),
        ("Presence", "plain", FieldFacts(number: 5, jsonName: "plain", type: .int32, label: .optional)),
        ("Maps", "sint64_to_money", FieldFacts(number: 7, jsonName: "sint64ToMoney", type: .message,
                                               label: .repeated, typeName: "shop.orders.v1.Maps.Sint64ToMoneyEntry")),
    ]

    @Test(arguments: fields.indices)
    func describesFields(index: Int) throws {
        let item = Self.fields[index]
        let message = try ProtoFixtures.message("shop.orders.v1.\(item.message)")
        let field = try #require(message.field(named: item.field))
        let facts = FieldFacts(number: field.number, jsonName: field.jsonName, type: field.type, label: field.label,
                               proto3Optional: field.isProto3Optional, presence: field.hasPresence,
                               packed: field.isPacked, oneof: field.oneofName, typeName: field.typeName)
        #expect(facts == item.facts)
        #expect(message.field(named: field.jsonName) == field)
        #expect(message.field(number: field.number) == field)
        #expect(field.containingMessage == message)
    }

    @Test func describesMapsAndOneofs() throws {
        let maps = try ProtoFixtures.message("shop.orders.v1.Maps")
        let field = try #require(maps.field(named: "sint64_to_money"))
        #expect(field.isMap)
        #expect(field.mapKey?.type == .sint64)
        #expect(field.mapValue?.messageType?.fullName == "shop.common.v1.Money")
        #expect(maps.field(named: "string_to_string")?.mapValue?.type == .string)
        #expect(try ProtoFixtures.message("shop.orders.v1.Repeated").field(named: "r_money")?.isMap == false)
        // The synthetic oneofs behind proto3 `optional` are not listed.
        #expect(try ProtoFixtures.message("shop.orders.v1.Choice").oneofNames == ["payment", "delivery"])
        #expect(try ProtoFixtures.message("shop.orders.v1.Presence").oneofNames.isEmpty)
        #expect(try ProtoFixtures.message("shop.orders.v1.Scalars").fields.map(\.number) == Array(1...17))
    }

    /// Declarations point at their line in the .proto on disk, for `accord check` diagnostics.
    @Test func locatesDeclarations() throws {
        let path = ProtoFixtures.protoRoot + "/shop/orders/orders.proto"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func line(of text: String) throws -> Int {
            try #require(lines.firstIndex { $0.contains(text) }) + 1
        }
        let schema = try ProtoFixtures.schema()
        let scalars = try #require(schema.message(named: "shop.orders.v1.Scalars"))
        #expect(scalars.location == SourceLocation(file: "shop/orders/orders.proto", path: path,
                                                   line: try line(of: "message Scalars {"), column: 1))
        let money = try #require(scalars.field(named: "f_money")?.location)
        #expect(money.line == (try line(of: "shop.common.v1.Money f_money = 17;")))
        #expect(money.column == 3)
        // Locations print the file as the contract names it, not the on-disk path.
        #expect(money.description == "shop/orders/orders.proto:\(money.line ?? 0):3")
        #expect(schema.message(named: "shop.orders.v1.Presence")?.field(named: "count")?.location?.line
            == (try line(of: "optional int32 count = 1;")))
        let service = try #require(schema.service(named: "shop.orders.v1.OrderService"))
        #expect(service.location?.line == (try line(of: "service OrderService {")))
        #expect(service.method(named: "ListOrders")?.location?.line == (try line(of: "rpc ListOrders(")))
        let status = try #require(schema.enumType(named: "shop.orders.v1.Status"))
        #expect(status.location?.line == (try line(of: "enum Status {")))
        #expect(status.values.last?.location?.line == (try line(of: "CANCELLED = -1;")))
        let cents = try #require(schema.message(named: "shop.common.v1.Money")?.field(named: "cents")?.location)
        #expect(cents.file == "shop/common/money.proto")
        #expect(cents.path == ProtoFixtures.protoRoot + "/shop/common/money.proto")
    }

    /// Reserved numbers and names (removed fields), inclusive ranges, with their lines.
    @Test func readsReservedNumbersAndNames() throws {
        let summary = try ProtoFixtures.message("shop.orders.v1.OrderSummary")
        #expect(summary.reservedNumbers.map(\.range) == [2...2, 5...7, 100...536_870_911])
        #expect(summary.reservedNames.map(\.name) == ["legacy_total"])
        let line = try #require(summary.location?.line)
        #expect(summary.reservedNumbers.first?.location?.line == line + 2)
        #expect(summary.reservedNames.first?.location?.line == line + 3)
        #expect(try ProtoFixtures.message("shop.orders.v1.Order").reservedNumbers.isEmpty)
    }
}
