import AccordAMQP
import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord load` with a contract-driven mix (`contracts: contracts/shop`): calls against real
/// peers written outside Accord (grpcio and http.server, from shop_peer.py), and publishes to the
/// real broker, accounted for by the run's tap.
@Suite(.ownVirtualHost) struct ContractMixCommandTests {
    static let shop = Repository.root.appendingPathComponent("contracts/shop").path

    static func interaction(_ summary: JSONValue?, _ name: String) throws -> JSONValue {
        guard case .array(let items)? = summary?["interactions"] else { throw Missing(what: "interactions") }
        return try #require(items.first { $0["name"]?.stringValue == name }, "no interaction \(name)")
    }

    struct Missing: Error {
        let what: String
    }

    /// shop_peer.py on fresh ports: its gRPC ports and HTTP port.
    static func startPeer(grpcPorts count: Int) async throws -> (ChildProcess, [Int], Int) {
        let script = try #require(Bundle.module.path(forResource: "shop_peer", ofType: "py", inDirectory: "Fixtures"))
        let grpcPorts = (0..<count).map { _ in FreePort.next() }
        let httpPort = FreePort.next()
        let peer = try ChildProcess([
            "python3", script, "\(shop)/protos", grpcPorts.map(String.init).joined(separator: ","), "\(httpPort)",
        ])
        _ = try await peer.waitForOutput(containing: "READY", timeout: 30)
        return (peer, grpcPorts, httpPort)
    }

    /// Stops the peer and reads the counts it printed.
    static func stats(of peer: ChildProcess) async throws -> JSONValue {
        peer.signal(SIGTERM)
        let stopped = try await peer.wait(timeout: 20)
        let line = try #require(stopped.stdout.split(separator: "\n").first { $0.hasPrefix("STATS ") })
        return try JSONParser.parse(String(line.dropFirst("STATS ".count)))
    }

    @Test func callsReachGRPCAndRESTPeersWithCapturedIDs() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc_tools") else { return }
        let (peer, grpcPorts, httpPort) = try await Self.startPeer(grpcPorts: 2)
        let (result, summary) = try await LoadRun.run(
            """
            name: cli-mix
            contracts: \(Self.shop)
            targets:
              orders: { grpc: [127.0.0.1:\(grpcPorts[0]), 127.0.0.1:\(grpcPorts[1])] }
              gateway: { http: 127.0.0.1:\(httpPort) }
            stages: [{ rate: 80/s, for: 3s }]
            warmup: 1s
            mix:
              - { name: create, call: orders.CreateOrder, weight: 2 }
              - { name: get, call: orders.GetOrder, weight: 2 }
              - { name: missing, call: orders.GetOrder, example: orders example 3 }
              - { name: list, call: orders.ListOrders, request: { user_id: "${create.order.user_id}" } }
              - { name: web-create, call: gateway POST /orders }
              - { name: web-get, call: "gateway GET /orders/{order_id}", params: { order_id: "${create.order.id}" } }
            connections: { grpc: 2, http: 2 }
            limits: { timeout: 5s }
            thresholds: ["errors == 0"]
            """)
        let stats = try await Self.stats(of: peer)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        for name in ["create", "get", "missing", "list", "web-create", "web-get"] {
            let entry = try Self.interaction(summary, name)
            #expect(LoadRun.count(entry["count"]) > 0, "\(name) made no calls")
            #expect(LoadRun.count(entry["errors"]) == 0, "\(name): \(String(describing: entry["errorsByKind"]))")
        }
        // A streaming call counts its messages: each user captured from a create has an order.
        let list = try Self.interaction(summary, "list")
        #expect(LoadRun.count(list["messages"]) >= LoadRun.count(list["count"]))
        #expect(try Self.interaction(summary, "list")["transport"] == "grpc")
        #expect(try Self.interaction(summary, "web-get")["transport"] == "http")

        // Every get by a captured id found its order, over gRPC and REST alike; only the entry
        // built on the NOT_FOUND example missed, as its example expects.
        #expect(LoadRun.count(stats["gets_found"]) > 0 && LoadRun.count(stats["http_gets_found"]) > 0)
        #expect(LoadRun.count(stats["http_gets_missing"]) == 0)
        let missing = try Self.interaction(summary, "missing")
        #expect(LoadRun.count(stats["gets_missing"]) >= LoadRun.count(missing["count"]))
        // Connections spread over both addresses of the orders service.
        for port in grpcPorts {
            #expect(LoadRun.count(stats["calls"]?["\(port)"]) > 0, "no calls on \(port): \(stats)")
        }
    }

    /// Decided: a request whose captured value does not exist yet is not sent and counts as a
    /// `no_capture` error (waiting would stall the open model's schedule behind another entry).
    @Test func withoutACaptureYetRequestsAreCountedNotSent() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc_tools") else { return }
        let (peer, grpcPorts, _) = try await Self.startPeer(grpcPorts: 1)
        let (result, summary) = try await LoadRun.run(
            """
            name: cli-no-capture
            contracts: \(Self.shop)
            targets: { orders: { grpc: 127.0.0.1:\(grpcPorts[0]) } }
            stages: [{ rate: 50/s, for: 2s }]
            mix:
              - { name: create, call: orders.CreateOrder, example: orders example 4 }
              - { name: get, call: orders.GetOrder }
            limits: { timeout: 5s }
            """)
        let stats = try await Self.stats(of: peer)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        // The create example expects INVALID_ARGUMENT and gets it: a success with nothing to capture.
        let create = try Self.interaction(summary, "create")
        #expect(LoadRun.count(create["count"]) > 0 && LoadRun.count(create["errors"]) == 0)
        let get = try Self.interaction(summary, "get")
        #expect(LoadRun.count(get["count"]) > 0)
        #expect(get["errorsByKind"] == ["no_capture": get["count"] ?? 0])
        #expect(LoadRun.count(stats["gets_found"]) + LoadRun.count(stats["gets_missing"]) == 0,
                "gets reached the peer")
    }

    static func publishProfile(name: String, seconds: Int, amqpURL: String? = nil) -> String {
        """
        name: \(name)
        contracts: \(shop)
        \(amqpURL.map { "amqp_url: \($0)" } ?? "")
        stages: [{ rate: 200/s, for: \(seconds)s }]
        mix:
          - publish: order.created
            message: { order_id: "o-${seq}", user_email: "u@example.com", total_cents: "${random_int(1,100)}" }
        connections: { amqp: 2 }
        limits: { timeout: 5s }
        thresholds: ["messages.lost == 0", "messages.duplicated == 0", "messages.unconfirmed == 0"]
        """
    }

    @Test func publishesAreAccountedForByTheTap() async throws {
        guard try TestBroker.available() else { return }
        let broker = try await TestBroker.endpoint()
        let (result, summary) = try await LoadRun.run(
            Self.publishProfile(name: "cli-publish", seconds: 2), environment: ["AMQP_URL": broker.url])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("PASS  messages.lost == 0"))
        guard case .array(let accounts)? = summary?["messages"], let account = accounts.first else {
            Issue.record("no messages section in \(String(describing: summary))")
            return
        }
        #expect(account["event"] == "order.created")
        #expect(LoadRun.count(account["published"]) == 400)
        #expect(LoadRun.count(account["confirmed"]) == 400)
        #expect(LoadRun.count(account["consumed"]) == 400)
        #expect(LoadRun.count(account["lost"]) == 0)
        #expect(LoadRun.count(account["duplicated"]) == 0)
        #expect(account["publishToConsume"]?["p99"]?.numberValue != nil)
        let publish = try Self.interaction(summary, "event order.created")
        #expect(publish["transport"] == "amqp")
        #expect(LoadRun.count(publish["count"]) == 400)
    }

    @Test func aTapCutOffMidwayReportsLostMessages() async throws {
        guard try TestBroker.available() else { return }
        let broker = try await TestBroker.endpoint()
        let admin = try await TestBroker.connect()
        let (result, summary) = try await LoadRun.run(
            Self.publishProfile(name: "cli-cut", seconds: 5, amqpURL: broker.url)
        ) { load in
            let line = try await load.waitForOutput(containing: "tap: order.created", timeout: 30)
            let queue = try #require(line.split(separator: " ").last.map(String.init))
            // The tap exists once the run has connected; let it consume a while, then cut it.
            var declared = false
            for _ in 0..<300 where !declared && load.isRunning {
                declared = (try? await admin.inspectQueue(queue)) != nil
                if !declared { try await Task.sleep(for: .milliseconds(100)) }
            }
            try #require(declared, "the tap queue \(queue) never appeared")
            try await Task.sleep(for: .seconds(1))
            try await admin.deleteQueue(queue)
        }
        await admin.close()
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("FAIL  messages.lost == 0"))
        guard case .array(let accounts)? = summary?["messages"], let account = accounts.first else {
            Issue.record("no messages section")
            return
        }
        #expect(LoadRun.count(account["lost"]) > 0)
        #expect(LoadRun.count(account["consumed"]) > 0)
        #expect(LoadRun.count(account["consumed"]) + LoadRun.count(account["lost"])
            == LoadRun.count(account["confirmed"]))
        guard case .array(let notes)? = summary?["verdict"]?["notes"] else {
            Issue.record("no notes")
            return
        }
        #expect(notes.contains { $0.stringValue?.contains("the tap on order.created stopped") == true }, "\(notes)")
    }

    @Test func aBrokenContractExitsWithTwoAtItsLine() async throws {
        let system = try Repository.temporaryDirectory("accord-broken-system")
        defer { try? FileManager.default.removeItem(at: system) }
        try "system: broken\nservices:\n  orders:\n    grpc: { protos: [missing.proto] }\n".write(
            to: system.appendingPathComponent("system.yaml"), atomically: true, encoding: .utf8)
        let (result, summary) = try await LoadRun.run(
            """
            name: cli-broken
            contracts: \(system.path)
            stages: [{ rate: 10/s, for: 1s }]
            mix: [{ call: orders.GetOrder }]
            """)
        #expect(result.status == 2)
        #expect(summary == nil)
        #expect(result.stderr.contains("profile.yaml:2:1: contracts: \(system.path) does not load"), "\(result.stderr)")
        #expect(result.stderr.contains("\(system.path)/system.yaml:4:"), "\(result.stderr)")
    }
}
