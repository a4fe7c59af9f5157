import AccordContracts
import AccordDocuments
import AccordJSON
import AccordServices
import Testing

/// The store behaviour alone: requests in, records, changes and events out, against a store
/// holding two records (`a` of u1, `b` of u2) whose next id is `t-1`.
@Suite struct StoreHandlerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let handling: StoreHandling
        var required: [String] = []
        var filters: [String] = []
        let request: JSONValue
        let outcome: StorePlan.Outcome
        var message: String = ""
        var records: [JSONValue] = []
        var change: RecordChange?
        var events: [PlannedEvent] = []

        var testDescription: String { name }
    }

    static func handling(_ action: StoreAction, key: String? = nil, record: String? = nil,
                         set: [String: JSONValue] = [:], publish: [PublishSpec] = []) -> StoreHandling {
        StoreHandling(action: action, key: key, record: record, set: set, publish: publish)
    }

    static func publish(_ event: String, _ fields: [String: String] = [:]) -> PublishSpec {
        PublishSpec(event: event, fields: fields, location: SourceLocation(file: "system.yaml"))
    }

    static let a: [String: JSONValue] = ["id": "a", "user_id": "u1", "status": "ORDER_STATUS_PENDING"]
    static let b: [String: JSONValue] = ["id": "b", "user_id": "u2"]

    static let cases: [Case] = [
        Case(name: "create stores the request with a generated id and set applied",
             handling: handling(.create, set: ["status": "ORDER_STATUS_PENDING"]),
             required: ["user_id", "items"],
             request: ["user_id": "u3", "items": [["sku": "s-1"]]], outcome: .ok,
             records: [["id": "t-1", "user_id": "u3", "items": [["sku": "s-1"]], "status": "ORDER_STATUS_PENDING"]],
             change: .insert(["id": "t-1", "user_id": "u3", "items": [["sku": "s-1"]],
                              "status": "ORDER_STATUS_PENDING"])),
        Case(name: "create takes the record from the request's record field",
             handling: handling(.create, record: "order"), request: ["order": ["user_id": "u3", "id": "mine"]],
             outcome: .ok, records: [["id": "t-1", "user_id": "u3"]], change: .insert(["id": "t-1", "user_id": "u3"])),
        Case(name: "create without required fields is invalid", handling: handling(.create),
             required: ["user_id", "items"], request: ["user_email": "x@example.com", "items": []],
             outcome: .invalid, message: "missing required fields user_id, items"),
        Case(name: "a required path through a list needs it in every element", handling: handling(.create),
             required: ["items.sku"], request: ["items": [["sku": "s-1"], ["quantity": 2]]],
             outcome: .invalid, message: "missing required field items.sku"),
        Case(name: "get answers the record", handling: handling(.get, key: "order_id"),
             request: ["order_id": "a"], outcome: .ok, records: [.object(a)]),
        Case(name: "get of an unknown key is missing", handling: handling(.get, key: "order_id"),
             request: ["order_id": "zz"], outcome: .missing, message: "orders has no record zz"),
        Case(name: "get without its key is invalid", handling: handling(.get, key: "order_id"),
             request: ["user_id": "u1"], outcome: .invalid, message: "missing required field order_id"),
        Case(name: "update merges the request (not its key) and set",
             handling: handling(.update, key: "order_id", set: ["status": "ORDER_STATUS_CANCELLED"]),
             request: ["order_id": "a", "reason": "customer_request"], outcome: .ok,
             records: [["id": "a", "user_id": "u1", "status": "ORDER_STATUS_CANCELLED", "reason": "customer_request"]],
             change: .merge(id: "a", fields: ["status": "ORDER_STATUS_CANCELLED", "reason": "customer_request"])),
        Case(name: "update of an unknown key is missing", handling: handling(.update, key: "order_id"),
             request: ["order_id": "zz"], outcome: .missing, message: "orders has no record zz"),
        Case(name: "delete answers and removes the record", handling: handling(.delete, key: "id"),
             request: ["id": "b"], outcome: .ok, records: [.object(b)], change: .remove(id: "b")),
        Case(name: "list answers every record in order", handling: handling(.list), filters: ["user_id"],
             request: ["page_size": 10], outcome: .ok, records: [.object(a), .object(b)]),
        Case(name: "list keeps the records matching the filter fields the request sets",
             handling: handling(.list), filters: ["user_id"], request: ["user_id": "u2"], outcome: .ok,
             records: [.object(b)]),
        Case(name: "publish maps event fields from the record and the request",
             handling: handling(.update, key: "order_id", publish: [
                 publish("order.cancelled", ["order_id": "id", "reason": "request.reason", "note": "request.note"]),
             ]),
             request: ["order_id": "a", "reason": "out_of_stock", "note_text": "x"], outcome: .ok,
             records: [["id": "a", "user_id": "u1", "status": "ORDER_STATUS_PENDING", "reason": "out_of_stock",
                        "note_text": "x"]],
             change: .merge(id: "a", fields: ["reason": "out_of_stock", "note_text": "x"]),
             events: [PlannedEvent(event: "order.cancelled", fields: [
                 "id": "a", "order_id": "a", "user_id": "u1", "status": "ORDER_STATUS_PENDING",
                 "reason": "out_of_stock", "note_text": "x",
             ])]),
        Case(name: "publish on create carries the generated id; an event per listed event",
             handling: handling(.create, publish: [publish("order.created", ["order_id": "id"]), publish("audit")]),
             request: ["user_id": "u3"], outcome: .ok, records: [["id": "t-1", "user_id": "u3"]],
             change: .insert(["id": "t-1", "user_id": "u3"]),
             events: [PlannedEvent(event: "order.created", fields: ["id": "t-1", "order_id": "t-1", "user_id": "u3"]),
                      PlannedEvent(event: "audit", fields: ["id": "t-1", "user_id": "u3"])]),
        Case(name: "a failed request publishes nothing",
             handling: handling(.get, key: "order_id", publish: [publish("order.read")]),
             request: ["order_id": "zz"], outcome: .missing, message: "orders has no record zz"),
    ]

    @Test(arguments: cases)
    func plans(_ c: Case) {
        var store = RecordStore(name: "orders", idField: "id", idPrefix: "t")
        store.apply(.insert(Self.a))
        store.apply(.insert(Self.b))
        let before = store.records
        let plan = StoreHandler(handling: c.handling, required: c.required, filters: c.filters)
            .plan(c.request, in: &store)
        #expect(plan.outcome == c.outcome)
        #expect(plan.message == c.message)
        #expect(plan.records.map(JSONValue.object) == c.records)
        #expect(plan.change == c.change)
        #expect(plan.events == c.events)
        // Planning never touches the records: the service applies the change once events are out.
        #expect(store.records == before)
    }
}
