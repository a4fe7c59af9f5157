import AccordContracts
import AccordOpenAPI
import AccordProto
import Foundation
import Testing

/// One schema model over protobuf messages, JSON Schema and inline declarations.
@Suite struct SchemaShapeTests {
    static let kinds = Result { try ContractFixtures.load("kinds") }

    @Test func protobufMessagesKeepNamesNumbersAndReservations() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let system = try Self.kinds.get()
        let method = try #require(system.service(named: "catalog")?.grpc?.method(named: "GetItem"))
        let item = SchemaShape.protobuf(method.outputType)
        #expect(item.origin == .protobuf && item.name == "kinds.v1.Item" && !item.isOpen)
        #expect(item.fields.map(\.name) == ["sku", "display_name", "price_cents", "tags", "state", "replacement"])
        let title = try #require(item.field(named: "title"))
        #expect(title.name == "display_name" && title.jsonName == "title")
        #expect(item.field(named: "priceCents")?.wire
            == .init(number: 3, type: .int64, typeName: nil, label: .optional))
        #expect(item.field(named: "tags")?.isRepeated == true)
        guard case .enumeration(let state)? = item.field(named: "state")?.type else { Issue.record("enum"); return }
        #expect(state.values.map(\.name) == ["STATE_UNSPECIFIED", "STATE_ACTIVE", "STATE_RETIRED"])
        #expect(state.values.map(\.number) == [0, 1, 2])
        // A message inside itself refers back instead of nesting forever.
        #expect(item.field(named: "replacement")?.type == .recursive(id: "kinds.v1.Item", name: "kinds.v1.Item"))

        guard case .protobuf(let added)? = system.event(named: "item.added")?.payload else { return }
        let shape = SchemaShape.protobuf(added)
        #expect(shape.isReserved(9) != nil && shape.isReserved(8) == nil)
        let required = SchemaShape.protobuf(method.inputType, requiredPaths: ["sku"])
        #expect(required.fields.map(\.isRequired) == [true])
    }

    @Test func wellKnownTypesTakeTheirJSONForms() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let shop = try ContractFixtures.shipped("shop")
        let order = try #require(shop.service(named: "orders")?.grpc?.schema.message(named: "shop.orders.v1.Order"))
        #expect(SchemaShape.protobuf(order).field(named: "created_at")?.type == .timestamp)
    }

    @Test func jsonSchemasFollowReferencesFormatsAndRequired() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let shop = try ContractFixtures.shipped("shop")
        let contract = try #require(shop.service(named: "gateway")?.rest?.contract)
        let envelope = try #require(contract.componentSchemas["OrderEnvelope"])
        let shape = SchemaShape.jsonObject(envelope, in: contract.schemas, name: "envelope")
        #expect(shape.name == "OrderEnvelope" && shape.origin == .jsonSchema)
        guard case .object(let order)? = shape.field(named: "order")?.type else { Issue.record("order"); return }
        #expect(order.name == "Order")
        #expect(order.fields.filter(\.isRequired).map(\.name) == ["id", "status", "user_id"])
        #expect(order.field(named: "created_at")?.type == .timestamp)
        // proto3 JSON writes int64 as a string, and the gateway's schema says so.
        #expect(order.field(named: "total_cents")?.type == .string)
        #expect(order.field(named: "userId") == nil)
        let items = try #require(order.field(named: "items"))
        #expect(items.isRepeated == true)
        guard case .object(let item) = items.type else { Issue.record("items"); return }
        #expect(item.field(named: "quantity")?.type == .integer(.int32))
        guard case .enumeration(let status)? = order.field(named: "status")?.type else { Issue.record("enum"); return }
        #expect(status.values.map(\.name) == ["ORDER_STATUS_PENDING", "ORDER_STATUS_PAID", "ORDER_STATUS_CANCELLED"])
        #expect(order.field(named: "id")?.location?.file == "openapi/gateway.yaml")

        guard case .json(let cancelled)? = shop.event(named: "order.cancelled")?.payload else { return }
        let event = SchemaShape.jsonObject(cancelled.root, in: cancelled.schemas, name: "order.cancelled")
        #expect(event.name == "OrderCancelled" && !event.isOpen)
        #expect(event.field(named: "refund_cents")?.type == .integer(.int64))
    }

    @Test func recursiveJSONSchemasEnd() throws {
        let folder = ContractFixtures.url("schemas")
        let file = try JSONSchemaFile.load(file: folder.appendingPathComponent("tree.json"))
        let tree = SchemaShape.jsonObject(file.root, in: file.schemas, name: "tree")
        #expect(tree.name == "Node")
        let children = try #require(tree.field(named: "children"))
        #expect(children.isRepeated == true)
        guard case .recursive(_, "Node") = children.type else { Issue.record("\(children.type)"); return }
        // allOf members add their properties; oneOf members add theirs as optional.
        #expect(tree.fields.map(\.name) == ["children", "label", "color", "size"])
        #expect(tree.fields.map(\.isRequired) == [false, true, false, false])
    }

    /// Types that each use the next one twice would expand to 2^30 objects: a budget stops that.
    @Test func exponentialSchemasStayBounded() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let folder = ContractFixtures.url("schemas").path
        let schema = try ProtoSchema.compile(files: ["wide.proto"], importPaths: [folder])
        let root = try #require(schema.message(named: "wide.v1.L0"))
        func objects(_ shape: SchemaShape) -> Int {
            1 + shape.fields.reduce(0) { count, field in
                if case .object(let inner) = field.type { count + objects(inner) } else { count }
            }
        }
        let shape = SchemaShape.protobuf(root)
        #expect(objects(shape) <= 10_001)
        #expect(shape.fields.map(\.name) == ["left", "right"])
    }
}
