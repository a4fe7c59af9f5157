import AccordAMQP
import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// The shipped shop served as real processes (`accord serve --service`), driven by peers nobody
/// here wrote: grpcio with protoc-generated stubs, curl, pika with Python protobuf.
@Suite(.ownVirtualHost) struct ServeShopTests {
    @Test func theShopWorksEndToEndAcrossProcesses() async throws {
        guard try ServeFixtures.peersAvailable() else { return }
        let broker = try await TestBroker.endpoint().url
        let orders = try await ServeFixtures.serve(ServeFixtures.shop, "orders", ["--amqp-url", broker])
        let notifier = try await ServeFixtures.serve(ServeFixtures.shop, "notifier", ["--amqp-url", broker])
        let ordersPort = try #require(orders.grpcPort)
        let gateway = try await ServeFixtures.serve(ServeFixtures.shop, "gateway",
                                                    ServeFixtures.ordersPeer(ordersPort))
        #expect(orders.readyLine == "READY orders grpc=\(ordersPort)")
        #expect(notifier.readyLine == "READY notifier")
        let httpPort = try #require(gateway.httpPort)
        #expect(gateway.readyLine == "READY gateway http=\(httpPort)")

        let correlationID = "curl-\(UInt32.random(in: 0...UInt32.max))"
        let tap = try ChildProcess(["python3", ServeFixtures.peers, "tap", ServeFixtures.protoRoot, broker,
                                    "shop.events", "order.created", correlationID])
        _ = try await tap.waitForOutput(containing: "READY", timeout: 30)

        // grpcio against orders.
        let calls = try await ChildProcess(["python3", ServeFixtures.peers, "orders-calls", ServeFixtures.protoRoot,
                                            String(ordersPort)]).wait(timeout: 60)
        #expect(calls.status == 0, "\(calls.stderr)")
        let grpc = try JSONParser.parse(calls.stdout)
        let pythonOrderID = try #require(grpc["created"]?["order"]?["id"]?.stringValue)
        #expect(grpc["created"]?["order"]?["status"] == "ORDER_STATUS_PENDING")
        #expect(grpc["created"]?["order"]?["user_id"] == "u-py")
        #expect(grpc["echoed_correlation_id"] == "py-corr-1")
        #expect(grpc["fetched"]?["order"]?["id"]?.stringValue == pythonOrderID)
        #expect(grpc["fetched"]?["order"]?["items"]?[0]?["sku"] == "sku-1")
        #expect(grpc["listed"]?[0]?["id"]?.stringValue == pythonOrderID)
        #expect(grpc["unknown"] == "NOT_FOUND")
        #expect(grpc["without_user"] == "INVALID_ARGUMENT")

        // curl against the gateway, which forwards to orders.
        let created = try await ServeFixtures.curl(
            ServeFixtures.postOrder(port: httpPort, correlationID: correlationID))
        #expect(created.status == 201)
        let orderID = try #require(created.body?["order"]?["id"]?.stringValue)
        #expect(created.body?["order"]?["status"] == "ORDER_STATUS_PENDING")
        #expect(created.body?["order"]?["user_email"] == "curl@example.com")
        let fetched = try await ServeFixtures.curl(["http://127.0.0.1:\(httpPort)/orders/\(orderID)"])
        #expect(fetched.status == 200)
        #expect(fetched.body?["order"]?["items"]?[0]?["sku"] == "sku-7")
        let unknown = try await ServeFixtures.curl(["http://127.0.0.1:\(httpPort)/orders/no-such-order"])
        #expect(unknown.status == 404)
        #expect(unknown.body?["code"] == "NOT_FOUND")
        #expect(unknown.body?["message"]?.stringValue?.contains("no-such-order") == true)
        let invalid = try await ServeFixtures.curl([
            "-X", "POST", "http://127.0.0.1:\(httpPort)/orders", "-d", #"{"user_email":"nobody@example.com"}"#,
        ])
        #expect(invalid.status == 400)
        #expect(invalid.body?["code"] == "INVALID_ARGUMENT")
        #expect(invalid.body?["message"]?.stringValue?.contains("user_id") == true)

        // pika sees the event the curl request caused, protobuf that Python decodes, with its id.
        let tapped = try await tap.wait(timeout: 30)
        #expect(tapped.status == 0, "\(tapped.stderr)")
        let event = try JSONParser.parse(String(tapped.stdout.split(separator: "\n").last ?? ""))
        #expect(event["content_type"] == "application/x-protobuf")
        #expect(event["type"] == "order.created")
        #expect(event["event"]?["order_id"]?.stringValue == orderID)
        #expect(event["event"]?["user_email"] == "curl@example.com")
        #expect(event["event"]?["items"]?[0]?["sku"] == "sku-7")

        // The notifier acks both order.created events (grpcio's and curl's).
        try await waitUntil("the notifier acks two events", timeout: .seconds(20)) {
            ServeFixtures.count("processed and acked", in: notifier.process.stderr) >= 2
        }
        // The id curl sent is in every service's log lines for that request.
        for served in [gateway, orders, notifier] {
            #expect(served.process.stderr.contains("accord.correlation_id=\(correlationID)"), "\(served.readyLine)")
        }

        for served in [gateway, orders, notifier] { served.process.signal(SIGTERM) }
        for served in [gateway, orders, notifier] {
            let exit = try await served.process.wait(timeout: 20)
            #expect(exit.status == 0, "\(served.readyLine): \(exit.stderr)")
        }
        // Nothing left ready, nothing was unacked when the consumer went away (it would be ready again).
        let connection = try await TestBroker.connect()
        let queue = try await connection.inspectQueue("shop.notifier.order.created")
        #expect(queue.messageCount == 0 && queue.consumerCount == 0, "\(queue)")
        await connection.close()
    }

    @Test func methodsAndRoutesTheBehaviourDoesNotListAreUnimplemented() async throws {
        guard try ServeFixtures.peersAvailable() else { return }
        let system = try ServeFixtures.drainSystem()
        defer { try? FileManager.default.removeItem(at: system) }
        let broker = try await TestBroker.endpoint().url
        let orders = try await ServeFixtures.serve(system.path, "orders", ["--amqp-url", broker])
        let ordersPort = try #require(orders.grpcPort)
        let gateway = try await ServeFixtures.serve(system.path, "gateway", ServeFixtures.ordersPeer(ordersPort))

        let calls = try await ChildProcess(["python3", ServeFixtures.peers, "unlisted-calls", ServeFixtures.protoRoot,
                                            String(ordersPort)]).wait(timeout: 60)
        #expect(calls.status == 0, "\(calls.stderr)")
        let statuses = try JSONParser.parse(calls.stdout)
        #expect(statuses == ["ListOrders": "UNIMPLEMENTED", "CancelOrder": "UNIMPLEMENTED", "GetOrder": "NOT_FOUND"])

        let httpPort = try #require(gateway.httpPort)
        let get = try await ServeFixtures.curl(["http://127.0.0.1:\(httpPort)/orders/x"])
        #expect(get.status == 501)
        #expect(get.body?["code"] == "UNIMPLEMENTED")
        let cancel = try await ServeFixtures.curl(["-X", "POST", "http://127.0.0.1:\(httpPort)/orders/x/cancel"])
        #expect(cancel.status == 501)
        let undeclared = try await ServeFixtures.curl(["http://127.0.0.1:\(httpPort)/customers"])
        #expect(undeclared.status == 404)

        for served in [gateway, orders] { served.process.signal(SIGTERM) }
        for served in [gateway, orders] { #expect(try await served.process.wait(timeout: 20).status == 0) }
    }
}
