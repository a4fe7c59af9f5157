import AccordContracts
import AccordDocuments
import AccordJSON
import AccordTestSupport
import Foundation
import Testing

@testable import AccordLoad

/// Contract-driven profiles against the shipped `contracts/shop`: every key, and every unknown
/// reference reported at its line with its key.
@Suite struct LoadProfileContractsTests {
    static let shop = Repository.root.appendingPathComponent("contracts/shop").path

    /// Writes a profile whose first three lines are a header (so `body` starts at line 4) and loads it.
    static func load(_ body: String, contracts: String? = shop) throws -> Result<LoadProfile, Diagnostics> {
        let directory = try Repository.temporaryDirectory("accord-profile")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("profile.yaml")
        let header = contracts.map { "contracts: \($0)" } ?? "# no contracts"
        try "name: t\n\(header)\nstages: [{ rate: 10/s, for: 1s }]\n\(body)\n".write(
            to: file, atomically: true, encoding: .utf8)
        return Result { () throws(Diagnostics) in try LoadProfile.load(path: file.path) }
    }

    static func call(_ entry: LoadProfile.MixEntry) throws -> ContractCall {
        guard case .contract(let call) = entry.target else {
            throw Unexpected(what: "\(entry.name) is not a contract entry")
        }
        return call
    }

    struct Unexpected: Error {
        let what: String
    }

    @Test func readsEveryContractKey() throws {
        let profile = try Self.load(
            """
            targets:
              orders: { grpc: [127.0.0.1:50051, 127.0.0.1:50052] }
              gateway: { http: 127.0.0.1:8080 }
            amqp_url: amqp://guest:guest@127.0.0.1:5672/
            connections: { grpc: 2, http: 4, amqp: 3 }
            mix:
              - { name: create, call: orders.CreateOrder, weight: 2 }
              - call: orders.GetOrder
                metadata: { x-tenant: blue }
              - { name: missing, call: orders.GetOrder, example: orders example 3 }
              - call: orders.ListOrders
                request: { user_id: "${create.order.user_id}", page_size: 5 }
              - call: gateway POST /orders
                body: { user_id: "u-${seq}", items: [{ sku: s, quantity: 1 }] }
                headers: { X-Trace: "${uuid}" }
              - { call: "gateway GET /orders/{order_id}", params: { order_id: "${create.order.id}" } }
              - { name: web, call: "gateway POST /orders", example: create }
              - publish: order.created
                message: { order_id: "o-${seq}", total_cents: "${random_int(1,9)}" }
                consume: false
              - { publish: order.cancelled, message: { order_id: "o-${seq}", reason: customer_request } }
            """
        ).get()
        #expect(profile.contracts?.name == "shop")
        #expect(profile.targets.addresses(of: "orders", .grpc) == ["127.0.0.1:50051", "127.0.0.1:50052"])
        #expect(profile.targets.addresses(of: "gateway", .http) == ["127.0.0.1:8080"])
        #expect(profile.amqpURL == "amqp://guest:guest@127.0.0.1:5672/")
        #expect(profile.amqpConnections == 3)
        #expect(
            profile.mix.map(\.name) == [
                "create", "orders.GetOrder", "missing", "orders.ListOrders", "gateway POST /orders",
                "gateway GET /orders/{order_id}", "web", "event order.created", "event order.cancelled",
            ])

        // The first CreateOrder example is the default payload; its response feeds three placeholders.
        let create = try Self.call(profile.mix[0])
        #expect(create.example == "create")
        #expect(
            Set(create.captures) == [
                CaptureRule(reference: "create.order.id", path: ["order", "id"]),
                CaptureRule(reference: "create.order.user_id", path: ["order", "user_id"]),
            ])
        guard case .rpc(_, let method, let request, _) = create.kind else { throw Unexpected(what: "create") }
        #expect(method.name == "CreateOrder")
        #expect(request.captures.isEmpty)

        let get = try Self.call(profile.mix[1])
        guard case .rpc(_, _, let getRequest, let metadata) = get.kind else { throw Unexpected(what: "get") }
        #expect(getRequest.captures == ["create.order.id"])
        #expect(metadata == ["x-tenant": "blue"])
        #expect(get.expectedStatus == .rpc(.ok))

        // A NOT_FOUND example makes NOT_FOUND the entry's success.
        #expect(try Self.call(profile.mix[2]).expectedStatus == .rpc(.notFound))

        guard case .rpc(_, let list, _, _) = try Self.call(profile.mix[3]).kind else { throw Unexpected(what: "list") }
        #expect(list.serverStreaming)

        guard case .rest(_, let post, let params, let body, let headers) = try Self.call(profile.mix[4]).kind else {
            throw Unexpected(what: "post")
        }
        #expect(post.method == "POST" && post.path == "/orders")
        #expect(params.isEmpty && body != nil && headers == ["X-Trace": "${uuid}"])
        #expect(try Self.call(profile.mix[4]).expectedStatus == nil)

        guard case .rest(_, _, let getParams, nil, _) = try Self.call(profile.mix[5]).kind else {
            throw Unexpected(what: "rest get")
        }
        #expect(getParams["order_id"]?.captures == ["create.order.id"])
        #expect(try Self.call(profile.mix[6]).expectedStatus == .http(201))

        guard case .publish(let event, _, let consume) = try Self.call(profile.mix[7]).kind else {
            throw Unexpected(what: "publish")
        }
        #expect(event.name == "order.created" && event.amqp.exchange == "shop.events" && !consume)
        guard case .publish(let cancelled, _, true) = try Self.call(profile.mix[8]).kind else {
            throw Unexpected(what: "publish consume default")
        }
        #expect(cancelled.payload.contentType == "application/json")
    }

    /// One problem each: (mix and other keys from line 4, the line and key reported, what it says).
    static let problems: [(body: String, line: Int, key: String, says: String)] = [
        ("mix:\n  - call: ordrs.CreateOrder", 5, "mix[0].call", #"no service "ordrs" (did you mean "orders"?)"#),
        (
            "mix:\n  - call: orders.CreateOrdr", 5, "mix[0].call",
            #"no method "CreateOrdr" (did you mean "CreateOrder"?)"#
        ),
        ("mix:\n  - call: gateway.CreateOrder", 5, "mix[0].call", "service gateway has no grpc: interface"),
        ("mix:\n  - call: gateway POST /order", 5, "mix[0].call", #"declares no operation "POST /order""#),
        ("mix:\n  - call: orders", 5, "mix[0].call", "is not <service>.<Method>"),
        (
            "mix:\n  - publish: order.creatd", 5, "mix[0].publish",
            #"no event "order.creatd" (did you mean "order.created"?)"#
        ),
        (
            "mix:\n  - call: orders.GetOrder\n    example: nope", 6, "mix[0].example",
            #"orders has no example named "nope""#
        ),
        (
            "mix:\n  - call: orders.GetOrder\n    example: create", 6, "mix[0].example",
            #"example "create" calls orders.CreateOrder, not orders.GetOrder"#
        ),
        ("mix:\n  - publish: order.created\n    example: create", 6, "mix[0].example", "no examples of events"),
        ("mix:\n  - call: orders.GetOrder", 5, "mix[0].call", #"${create.order.id}: no mix entry is named "create""#),
        (
            "mix:\n  - { name: create, call: orders.CreateOrder }\n  - call: orders.GetOrder\n"
                + "    request: { order_id: \"${create.ordr.id}\" }", 7, "mix[1].request",
            #"has no field "ordr" (did you mean "order"?)"#
        ),
        (
            "mix:\n  - { name: ev, publish: order.created }\n  - call: orders.GetOrder\n"
                + "    request: { order_id: \"${ev.order_id}\" }", 7, "mix[1].request",
            "it has no response to capture from"
        ),
        (
            "mix:\n  - call: orders.CreateOrder\n    request: { items: 5 }", 6, "mix[0].request",
            "not a valid shop.orders.v1.CreateOrderRequest"
        ),
        (
            "mix:\n  - publish: order.cancelled\n    message: { order_id: x }", 6, "mix[0].message",
            "not valid against schemas/order-cancelled.json"
        ),
        (
            "mix:\n  - call: orders.GetOrder\n    request: { order_id: x }\n    example: create", 6, "mix[0].request",
            "give request: or example:, not both"
        ),
        (
            "mix:\n  - call: gateway GET /orders/{order_id}\n    params: { orderId: x }", 6, "mix[0].params",
            #"no path or query parameter "orderId" (did you mean "order_id"?)"#
        ),
        (
            "mix:\n  - call: gateway GET /orders/{order_id}\n    params: {}", 6, "mix[0].params",
            #"missing path parameter "order_id""#
        ),
        ("mix:\n  - call: orders.GetOrder\n    body: {}", 6, "mix[0].body", "body applies to other entries"),
        (
            "mix:\n  - call: gateway POST /orders\n    body: { userId: u, items: [] }", 6, "mix[0].body",
            "not a valid POST /orders request body"
        ),
        (
            "mix:\n  - call: gateway POST /orders\n    body: { user_id: u, items: [{ sku: s, quantity: lots }] }",
            6, "mix[0].body", "/items/0/quantity"
        ),
        (
            "mix:\n  - call: gateway POST /orders\n    params: {}", 6, "mix[0].params",
            "POST /orders requires a request body"
        ),
        (
            "mix:\n  - call: gateway GET /orders/{order_id}\n    params: { order_id: x }\n    body: {}", 7,
            "mix[0].body", "GET /orders/{order_id} declares no request body"
        ),
        (
            "mix:\n  - grpc: { address: 127.0.0.1:1, proto: x.proto, method: a.B/C, request: { id: \"${c.id}\" } }",
            5, "mix[0].grpc.request", "captured values work in call: and publish: entries"
        ),
        (
            "targets: { ordrs: { grpc: 127.0.0.1:1 } }\nmix: [{ call: orders.CreateOrder }]", 4, "targets.ordrs",
            #"no service "ordrs" (did you mean "orders"?)"#
        ),
        (
            "targets: { orders: { grpc: nowhere } }\nmix: [{ call: orders.CreateOrder }]", 4, "targets.orders.grpc",
            "expected host:port"
        ),
        (
            "targets: { gateway: { grpc: 127.0.0.1:1 } }\nmix: [{ call: orders.CreateOrder }]", 4,
            "targets.gateway.grpc",
            "service gateway has no grpc: interface"
        ),
        ("amqp_url: http://broker\nmix: [{ call: orders.CreateOrder }]", 4, "amqp_url", "the scheme must be amqp://"),
        ("connections: { amqp: 0 }\nmix: [{ call: orders.CreateOrder }]", 4, "connections.amqp", "out of range"),
    ]

    @Test(arguments: problems.indices)
    func unknownReferencesAreReportedAtTheirLine(index: Int) throws {
        let problem = Self.problems[index]
        guard case .failure(let diagnostics) = try Self.load(problem.body) else {
            Issue.record("loaded despite: \(problem.says)")
            return
        }
        #expect(
            diagnostics.errors.contains {
                $0.location.line == problem.line && $0.key == problem.key && $0.message.contains(problem.says)
            }, "expected line \(problem.line) \(problem.key): \(problem.says) in\n\(diagnostics)")
        #expect(diagnostics.description.contains("profile.yaml:\(problem.line):"))
    }

    @Test func contractEntriesNeedContracts() throws {
        guard case .failure(let diagnostics) = try Self.load("mix:\n  - publish: order.created", contracts: nil) else {
            Issue.record("loaded without contracts:")
            return
        }
        #expect(
            diagnostics.errors.map(\.description).contains {
                $0.contains("profile.yaml:5:") && $0.contains("add contracts:")
            })
    }

    @Test func aMissingSystemFolderIsReported() throws {
        guard case .failure(let diagnostics) = try Self.load("mix: [{ call: a.B }]", contracts: "/nonexistent/shop")
        else {
            Issue.record("loaded a missing folder")
            return
        }
        #expect(diagnostics.errors.contains { $0.key == "contracts" && $0.message.contains("holds no system.yaml") })
    }

    @Test func theContractsOwnProblemsKeepTheirFileAndLine() throws {
        let system = try Repository.temporaryDirectory("accord-broken-system")
        defer { try? FileManager.default.removeItem(at: system) }
        try "system: broken\nservices:\n  orders:\n    grpc: { protos: [missing.proto] }\n    wrong: 1\n".write(
            to: system.appendingPathComponent("system.yaml"), atomically: true, encoding: .utf8)
        guard case .failure(let diagnostics) = try Self.load("mix: [{ call: orders.A }]", contracts: system.path)
        else {
            Issue.record("loaded a broken contract")
            return
        }
        #expect(diagnostics.errors.contains { $0.key == "contracts" && $0.message.contains("does not load") })
        let shown = diagnostics.errors.map(\.description)
        #expect(
            shown.contains { $0.hasPrefix("\(system.path)/system.yaml:5:5: services.orders.wrong: unknown key") },
            "\(shown)")
    }

    @Test func theShippedShopMixLoads() throws {
        let path = Repository.root.appendingPathComponent("loadprofiles/shop-mix.yaml").path
        let profile = try LoadProfile.load(path: path)
        #expect(profile.contracts?.name == "shop")
        #expect(profile.mix.count == 7)
        #expect(profile.publishedEvents.values.contains("order.created"))
    }

    /// REST through the gateway alone: a mix of HTTP, which runs on Accord's own socket loops.
    @Test func theShippedGatewayProfileIsRESTAlone() throws {
        let path = Repository.root.appendingPathComponent("loadprofiles/shop-gateway.yaml").path
        let profile = try LoadProfile.load(path: path)
        #expect(profile.contracts?.name == "shop")
        let transports = profile.mix.map { entry -> String in
            guard case .contract(let call) = entry.target else { return "direct" }
            return call.transport
        }
        #expect(transports == ["http", "http"])
    }

    @Test func theShippedRollingRestartAccountsForTheShopsConsumers() throws {
        let path = Repository.root.appendingPathComponent("loadprofiles/shop-rolling-restart.yaml").path
        let profile = try LoadProfile.load(path: path)
        #expect(profile.shutdown.map(\.service) == ["orders", "notifier"])
        #expect(profile.shutdown.map(\.restart) == [true, true])
        #expect(profile.accountedConsumers == [
            QueueConsumer(service: "notifier", event: "order.created", queue: "shop.notifier.order.created",
                          soleEvent: true),
            QueueConsumer(service: "audit", event: "order.created", queue: "shop.audit.order.created",
                          soleEvent: false),
        ])
    }

    @Test func displayPathsResolveDotDotLexically() {
        #expect(LoadProfile.displayPath("../contracts/shop", under: "loadprofiles") == "contracts/shop")
        #expect(LoadProfile.displayPath("../contracts/shop", under: "") == "../contracts/shop")
        #expect(LoadProfile.displayPath("/abs/shop", under: "loadprofiles") == "/abs/shop")
        #expect(LoadProfile.displayPath("../shop", under: "/work/profiles") == "/work/shop")
        #expect(LoadProfile.displayPath("system.yaml", under: "contracts/shop") == "contracts/shop/system.yaml")
    }
}
