import AccordAMQP
import AccordContracts
import AccordJSON
import AccordRPCStatus
import AccordServices
import AccordTestSupport
import Foundation
import Logging
import Testing

/// The shop's methods and routes as values: statuses, responses, events and forwarded requests,
/// with no process, socket or broker.
@Suite struct ReferenceHandlersTests {
    static let shop = Result { try ContractLoader().load(folder: URL(fileURLWithPath: ServeFixtures.shop),
                                                         displayFolder: "contracts/shop") }

    static func handlers(_ service: String, in system: ContractSystem) throws -> ReferenceHandlers {
        let contract = try #require(system.service(named: service))
        return try ReferenceHandlers(system: system, service: contract, behaviour: try #require(contract.reference))
    }

    static func emptyStore() -> RecordStore { RecordStore(name: "orders", idField: "id", idPrefix: "t") }

    @Test func ordersAnswersEachMethodAsItsBehaviourStates() throws {
        guard try ExternalTool.available("protoc") else { return }
        let orders = try Self.handlers("orders", in: try Self.shop.get())
        var store = Self.emptyStore()
        func call(_ method: String, _ request: JSONValue) -> RPCResult {
            let result = orders.rpc(method, request: request, store: &store)
            if result.status == .ok, let change = result.change { store.apply(change) }
            return result
        }

        let created = call("CreateOrder", ["user_id": "u1", "user_email": "u1@example.com",
                                           "items": [["sku": "sku-1", "quantity": 2]]])
        let order: JSONValue = ["id": "t-1", "user_id": "u1", "user_email": "u1@example.com",
                                "items": [["sku": "sku-1", "quantity": 2]], "status": "ORDER_STATUS_PENDING"]
        #expect(created.status == .ok)
        #expect(created.responses == [["order": order]])
        #expect(created.events.map(\.event) == ["order.created"])
        #expect(created.events.first?.fields["order_id"] == "t-1")

        #expect(call("CreateOrder", ["user_email": "nobody@example.com"]).status == .invalidArgument)
        #expect(call("CreateOrder", ["user_id": "u1", "items": []]).message == "missing required field items")
        #expect(call("GetOrder", ["order_id": "t-1"]).responses == [["order": order]])
        let unknown = call("GetOrder", ["order_id": "no-such-order"])
        #expect(unknown.status == .notFound && unknown.responses.isEmpty && unknown.change == nil)
        #expect(call("GetOrder", [:]).status == .invalidArgument)

        _ = call("CreateOrder", ["user_id": "u2", "items": [["sku": "sku-2"]]])
        // Server streaming: one message per record, the records of the user the request names.
        #expect(call("ListOrders", [:]).responses.count == 2)
        #expect(call("ListOrders", ["user_id": "u2", "page_size": 5]).responses.map { $0["id"] } == ["t-2"])

        let cancelled = call("CancelOrder", ["order_id": "t-1", "reason": "customer_request"])
        #expect(cancelled.responses.first?["order"]?["status"] == "ORDER_STATUS_CANCELLED")
        let event = try #require(cancelled.events.first)
        #expect(event.event == "order.cancelled")
        #expect(event.fields["order_id"] == "t-1" && event.fields["reason"] == "customer_request")
        #expect(call("CancelOrder", ["order_id": "t-9"]).status == .notFound)
    }

    @Test func methodsAndRoutesTheBehaviourDoesNotListAreUnimplemented() throws {
        guard try ExternalTool.available("protoc") else { return }
        let folder = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: folder) }
        let system = try ContractLoader().load(folder: folder)
        var store = Self.emptyStore()
        let orders = try Self.handlers("orders", in: system)
        for method in ["ListOrders", "CancelOrder"] {
            let result = orders.rpc(method, request: [:], store: &store)
            #expect(result.status == .unimplemented && result.message.contains(method))
        }
        #expect(orders.rpc("GetOrder", request: ["order_id": "x"], store: &store).status == .notFound)
        let gateway = try Self.handlers("gateway", in: system)
        let unlisted = gateway.route("GET /orders/{order_id}",
                                     request: RouteRequest(pathParameters: ["order_id": "x"]), store: &store)
        guard case .answered(let answer, nil, []) = unlisted else { Issue.record("handled: \(unlisted)"); return }
        #expect(answer.status == 501 && answer.body["code"] == "UNIMPLEMENTED")
    }

    @Test func aListRouteFiltersOnItsQueryParameters() throws {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures/notes", withExtension: nil))
        let notes = try Self.handlers("notes", in: try ContractLoader().load(folder: folder))
        var store = Self.emptyStore()
        for (owner, stars) in [("ada", 5), ("bob", 3), ("ada", 3)] {
            let body = Array(#"{"owner":"\#(owner)","text":"t","stars":\#(stars)}"#.utf8)
            guard case .answered(let answer, let change?, _) = notes.route(
                "POST /notes", request: RouteRequest(body: body), store: &store)
            else { Issue.record("not created"); return }
            #expect(answer.status == 201)
            store.apply(change)
        }
        func owners(_ query: [(name: String, value: String)]) throws -> [JSONValue?] {
            let result = notes.route("GET /notes", request: RouteRequest(query: query), store: &store)
            guard case .answered(let answer, nil, _) = result, case .array(let notes) = answer.body else {
                throw Unexpected(result: "\(result)")
            }
            return notes.map { $0["owner"] }
        }
        #expect(try owners([]).count == 3)
        #expect(try owners([("owner", "ada")]) == ["ada", "ada"])
        // Query values are text; the stored number matches by its text.
        #expect(try owners([("owner", "ada"), ("stars", "3")]) == ["ada"])
        #expect(try owners([("owner", "eve")]).isEmpty)
    }

    struct Unexpected: Error {
        let result: String
    }

    @Test func gatewayRoutesForwardParametersAndBody() throws {
        guard try ExternalTool.available("protoc") else { return }
        let gateway = try Self.handlers("gateway", in: try Self.shop.get())
        var store = Self.emptyStore()
        let body = Array(#"{"reason":"customer_request","order_id":"from-body"}"#.utf8)
        let cancel = "POST /orders/{order_id}/cancel"
        let result = gateway.route(cancel, request: RouteRequest(pathParameters: ["order_id": "o-1"], body: body),
                                   store: &store)
        guard case .forward(let service, let method, let request) = result else {
            Issue.record("not forwarded: \(result)")
            return
        }
        #expect(service == "orders" && method.name == "CancelOrder")
        // The path parameter wins over a body member of the same name.
        #expect(request == ["order_id": "o-1", "reason": "customer_request"])
        let withoutBody = gateway.route(cancel, request: RouteRequest(pathParameters: ["order_id": "o-2"]),
                                        store: &store)
        guard case .forward(_, _, let empty) = withoutBody else { Issue.record("refused: \(withoutBody)"); return }
        #expect(empty == ["order_id": "o-2"])
    }

    static let rejected: [(body: String, message: String)] = [
        (#"{"user_email":"nobody@example.com"}"#, "the body lacks required members items, user_id"),
        (#"{"user_id": "u1", "items": [}"#, "malformed JSON body: line 1, column "),
        (#"["user_id"]"#, "expected a JSON object as the body, found array"),
        ("", "the request body is required"),
    ]

    @Test(arguments: rejected)
    func gatewayRefusesInvalidBodiesItself(_ body: String, _ message: String) throws {
        guard try ExternalTool.available("protoc") else { return }
        let gateway = try Self.handlers("gateway", in: try Self.shop.get())
        var store = Self.emptyStore()
        let result = gateway.route("POST /orders", request: RouteRequest(body: Array(body.utf8)), store: &store)
        guard case .answered(let answer, nil, []) = result else { Issue.record("not refused: \(result)"); return }
        #expect(answer.status == 400)
        #expect(answer.body["code"] == "INVALID_ARGUMENT")
        #expect(answer.body["message"]?.stringValue?.hasPrefix(message) == true, "\(answer.body)")
    }

    static let forwardedStatuses: [(RPCStatus, Int)] = [
        (.ok, 201), (.notFound, 404), (.invalidArgument, 400), (.alreadyExists, 409), (.unavailable, 503),
        (.internal, 500), (.deadlineExceeded, 500), (.unknown, 500), (.permissionDenied, 500),
    ]

    @Test(arguments: forwardedStatuses)
    func forwardedStatusesMapToHTTP(_ status: RPCStatus, _ http: Int) throws {
        guard try ExternalTool.available("protoc") else { return }
        let gateway = try Self.handlers("gateway", in: try Self.shop.get())
        let handler = try #require(gateway.routes["POST /orders"])
        let answer = handler.answer(forwarded: status, message: "why", response: ["order": ["id": "o-1"]])
        #expect(answer.status == http)
        let problem: JSONValue = ["code": .string(status.name), "message": "why"]
        #expect(answer.body == (status == .ok ? ["order": ["id": "o-1"]] : problem))
    }

    @Test func servicesThatCannotRunAsConfiguredAreRefusedWithTheirLine() throws {
        guard try ExternalTool.available("protoc") else { return }
        let shop = try Self.shop.get()
        let logger = Logger(label: "test")
        let gateway = try #require(throws: ReferenceSetupError.self) {
            try ReferenceService(system: shop, service: "gateway", logger: logger)
        }
        #expect(gateway.location == "contracts/shop/system.yaml:80")
        #expect(gateway.message.contains("--peer orders.grpc=HOST:PORT"))
        let orders = try #require(throws: ReferenceSetupError.self) {
            try ReferenceService(system: shop, service: "orders", logger: logger)
        }
        #expect(orders.description == "contracts/shop/system.yaml:9: service orders publishes order.cancelled, "
            + "order.created: it needs a broker (--amqp-url URL or AMQP_URL)")
        let unknown = try #require(throws: ReferenceSetupError.self) {
            try ReferenceService(system: shop, service: "billing", logger: logger)
        }
        #expect(unknown.description.contains("no service billing in system shop (services: orders, gateway"))

        var peers = ServiceDirectory()
        let added = peers.addPeer("orders.grpc=127.0.0.1:50051")
        #expect(added)
        let configured = try ReferenceService(system: shop, service: "gateway",
                                              configuration: .init(peers: peers), logger: logger)
        #expect(configured.behaviour.routes.count == 3)
        _ = try ReferenceService(system: shop, service: "notifier",
                                 configuration: .init(broker: AMQPEndpoint()), logger: logger)
    }
}
