import AccordContracts
import AccordDocuments
import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// The model of a loaded system, as reference services, the runner and the checks use it.
@Suite struct ContractLoaderTests {
    static let shop = Result { try ContractFixtures.shipped("shop") }

    @Test func resolvesServicesInterfacesAndEvents() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let shop = try Self.shop.get()
        #expect(shop.name == "shop")
        #expect(shop.services.map(\.name) == ["orders", "gateway", "notifier", "audit"])
        let orders = try #require(shop.service(named: "orders"))
        let grpc = try #require(orders.grpc)
        #expect(grpc.service.fullName == "shop.orders.v1.OrderService")
        #expect(grpc.protoFiles == ["protos/shop/orders/v1/orders.proto", "protos/shop/orders/v1/events.proto"])
        #expect(grpc.importPaths.map { URL(fileURLWithPath: $0).lastPathComponent } == ["protos"])
        #expect(grpc.required["CreateOrder"]?.map(\.name) == ["user_id", "items"])
        #expect(orders.publishes.map(\.name) == ["order.created", "order.cancelled"])
        #expect(shop.publishers(of: "order.created").map(\.name) == ["orders"])
        #expect(shop.service(named: "gateway")?.rest?.contract.operations.count == 3)

        let created = try #require(shop.event(named: "order.created"))
        #expect(created.amqp == AMQPBinding(exchange: "shop.events", exchangeType: .topic, routingKey: "order.created",
                                            location: created.amqp.location))
        guard case .protobuf(let message) = created.payload else { Issue.record("expected protobuf"); return }
        #expect(message.fullName == "shop.orders.v1.OrderCreated")
        #expect(created.payload.contentType == "application/x-protobuf")
        guard case .json(let schema) = shop.event(named: "order.cancelled")?.payload else {
            Issue.record("expected a JSON body")
            return
        }
        #expect(schema.file == "schemas/order-cancelled.json")
        #expect(schema.validate(["order_id": "o-1", "reason": "customer_request"]).isEmpty)
        #expect(shop.interactions.contains("gateway POST /orders"))
        #expect(shop.interactions.contains("orders.ListOrders"))
        #expect(shop.interactions.suffix(2) == ["event order.created", "event order.cancelled"])
    }

    @Test func resolvesConsumerEdgesToTheirProducers() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let shop = try Self.shop.get()
        #expect(shop.consumerEdges.map(\.name) == [
            "gateway -> orders.CreateOrder", "gateway -> orders.GetOrder", "gateway -> orders.CancelOrder",
            "notifier -> event order.created", "audit -> event order.created", "audit -> event order.cancelled",
        ])
        let create = shop.consumerEdges[0]
        guard case .rpc("orders", let method) = create.target else { Issue.record("\(create.target)"); return }
        #expect(method.path == "/shop.orders.v1.OrderService/CreateOrder")
        let reads = try #require(create.reads)
        #expect(reads.origin == .inline)
        guard case .object(let order)? = reads.field(named: "order")?.type else { Issue.record("no order"); return }
        #expect(order.fields.map(\.name) == ["id", "status", "total_cents"])
        #expect(order.field(named: "total_cents")?.type == .integer(.int64))
        #expect(create.sends?.field(named: "items")?.isRepeated == true)
        #expect(create.location.line == (try ContractFixtures.line(
            of: "- rpc: orders.CreateOrder", in: shop.folder.appendingPathComponent("system.yaml"))))

        let notifier = shop.consumerEdges[3]
        #expect(notifier.queue == "shop.notifier.order.created")
        let audit = shop.consumerEdges[4]
        guard case .protobuf(let files, _, nil, let response, _)? = audit.copy else {
            Issue.record("expected audit's proto copy")
            return
        }
        #expect(files == ["copies/audit/shop/orders/v1/events.proto"])
        #expect(response.fullName == "shop.orders.v1.OrderCreated")
    }

    @Test func readsReferenceBehaviourAndExamples() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let shop = try Self.shop.get()
        let orders = try #require(shop.service(named: "orders")?.reference)
        #expect(orders.store == "orders" && orders.idField == "id" && orders.shutdown == .graceful)
        let create = try #require(orders.rpc(named: "CreateOrder"))
        #expect(create.handling.action == .create && create.handling.record == "order")
        #expect(create.handling.set == ["status": "ORDER_STATUS_PENDING"])
        #expect(create.handling.publish.map(\.event) == ["order.created"])
        #expect(create.handling.publish.first?.fields == ["order_id": "id"])
        let get = try #require(orders.rpc(named: "GetOrder"))
        #expect(get.handling.key == "order_id" && get.missing == .notFound && get.invalid == .invalidArgument)

        let gateway = try #require(shop.service(named: "gateway")?.reference)
        #expect(gateway.routes.map(\.route)
            == ["POST /orders", "GET /orders/{order_id}", "POST /orders/{order_id}/cancel"])
        #expect(gateway.routes.map(\.status) == [201, 200, 200])
        guard case .forward("orders", let method) = gateway.routes[1].handling else {
            Issue.record("no forward")
            return
        }
        #expect(method.name == "GetOrder")
        #expect(shop.service(named: "notifier")?.reference?.consumer(of: "order.created")?.delay == .milliseconds(5))

        let examples = try #require(shop.service(named: "orders")?.examples)
        #expect(examples.map(\.name) == ["create", "orders example 2", "orders example 3", "orders example 4",
                                         "orders example 5"])
        #expect(examples.map(\.expectedStatus) == [.rpc(.ok), .rpc(.ok), .rpc(.notFound), .rpc(.invalidArgument),
                                                   .rpc(.ok)])
        #expect(examples[1].interaction == "orders.GetOrder")
        guard case .rpc(_, let request) = examples[1].call else { Issue.record("expected an rpc"); return }
        #expect(request == ["order_id": "${create.order.id}"])
        let routes = try #require(shop.service(named: "gateway")?.examples)
        guard case .route(let operation, let params, nil) = routes[2].call else {
            Issue.record("expected a route")
            return
        }
        #expect(operation.path == "/orders/{order_id}" && params == ["order_id": "no-such-order"])
        #expect(routes[2].expectedStatus == .http(404))
    }

    @Test func readsRunModes() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let system = try ContractFixtures.load("runs")
        guard case .command(let items)? = system.service(named: "items")?.run else { Issue.record("command"); return }
        #expect(items.arguments == ["python3", "items_server.py", "--port=${grpc_port}"])
        #expect(items.environment.map { "\($0.name)=\($0.value)" }
            == ["AMQP_URL=${amqp_url}", "WORKERS=4", "VERBOSE=true"])
        #expect(items.ready == Readiness(probe: .port(.grpc), timeout: .seconds(30)))
        #expect(system.service(named: "items")?.replicas == 2)
        guard case .command(let worker)? = system.service(named: "worker")?.run else { Issue.record("worker"); return }
        #expect(worker.ready.probe == .output("READY"))
        guard case .address(let legacy)? = system.service(named: "legacy")?.run else { Issue.record("legacy"); return }
        #expect(legacy.grpc == "127.0.0.1:50051" && legacy.http == nil)
        guard case .address(let both)? = system.service(named: "both")?.run else { Issue.record("both"); return }
        #expect(both.grpc == "localhost:7001" && both.http == "localhost:7002")
        guard case .command(let local)? = system.service(named: "local")?.run else { Issue.record("local"); return }
        #expect(local.ready.probe == .http(path: "/healthz"))
        #expect(system.service(named: "stub")?.reference?.shutdown == .abrupt)
        #expect(system.service(named: "stub")?.reference?.rpc(named: "GetItem")?.delay == .milliseconds(150))
        #expect(system.service(named: "web-stub")?.reference?.routes.map(\.delay) == [.seconds(2)])
        #expect(system.service(named: "legacy")?.reference == nil)
    }

    @Test func checksRunKeysAndPlaceholdersTogether() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let error = try ContractFixtures.loadError("malformed/bad-run")
        #expect(error.diagnostics.map(\.key) == [
            "services.items.command[1]", "services.items.command[2]", "services.items.command[3]",
            "services.items.ready.port", "services.items.address",
        ])
        #expect(error.diagnostics[0].message == "${http_port}: this service has no rest: interface")
        #expect(error.diagnostics[2].message.hasPrefix("unknown placeholder ${nope}"))
    }

    @Test func displaysLocationsUnderTheFolderTheUserNamed() throws {
        guard try ContractFixtures.protocAvailable() else { return }
        let shop = try Self.shop.get()
        let method = try #require(shop.service(named: "orders")?.grpc?.method(named: "GetOrder"))
        // protoc names the file relative to its import root (protos/); users open it from the system folder.
        #expect(method.location?.file == "shop/orders/v1/orders.proto")
        let line = try ContractFixtures.line(
            of: "rpc GetOrder(", in: shop.folder.appendingPathComponent("protos/shop/orders/v1/orders.proto"))
        #expect(shop.display(method.location) == "contracts/shop/protos/shop/orders/v1/orders.proto:\(line)")
        #expect(shop.display(shop.location) == "contracts/shop/system.yaml:5")
    }

    @Test func findsTheSystemsOfAFolder() {
        let contracts = Repository.root.appendingPathComponent("contracts")
        #expect(ContractLoader.systemFolders(at: contracts).map(\.lastPathComponent) == ["shop", "shop-drifted"])
        let shop = contracts.appendingPathComponent("shop")
        #expect(ContractLoader.systemFolders(at: shop) == [shop])
        #expect(ContractLoader.systemFolders(at: contracts.appendingPathComponent("demo")).isEmpty)
    }
}
