import AccordTestSupport
import Foundation
import Testing

/// `accord serve DIR`: the whole shop as processes, reachable through its gateway, stopped
/// gracefully by one SIGTERM.
@Suite(.serialized, .ownVirtualHost) struct ServeSystemCommandTests {
    @Test func theShopServesUntilSIGTERMAndStopsEveryProcess() async throws {
        guard try ExternalTool.available("protoc"), try ExternalTool.available("curl"), try TestBroker.available()
        else { return }
        let broker = try await TestBroker.endpoint()
        let serve = try ChildProcess([Repository.accordBinary, "serve", Repository.root.appendingPathComponent(
            "contracts/shop").path, "--log-level", "info"], environment: ["AMQP_URL": broker.url])
        _ = try await serve.waitForOutput(containing: "READY shop", timeout: 60)
        let gateway = try #require(serve.stdout.split(separator: "\n").first { $0.hasPrefix("gateway: http ") })
        let address = gateway.dropFirst("gateway: http ".count)
        let created = try await ChildProcess([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
            "-H", "X-Correlation-ID: trace-me-7",
            "-d", #"{"user_id": "u-1", "user_email": "u@example.com", "items": [{"sku": "s", "quantity": 1}]}"#,
            "http://\(address)/orders",
        ]).wait(timeout: 20)
        #expect(created.stdout == "201", "\(created.stdout) \(created.stderr)")
        let children = try Self.children(of: serve.pid)
        #expect(children.count == 4, "orders, gateway, notifier, audit: \(children)")
        // The consumers log the event once they have it: wait for that before stopping them.
        let traced = { (service: String) in
            serve.stderr.split(separator: "\n").contains {
                $0.hasPrefix("[\(service)] ") && $0.contains("accord.correlation_id=trace-me-7")
            }
        }
        try await waitUntil("the consumers log the event") { traced("notifier") && traced("audit") }
        serve.signal(SIGTERM)
        let result = try await serve.wait(timeout: 30)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("stopping shop"))
        // Every service's log lines come out on accord's stderr under its name: one id, one story.
        for service in ["gateway", "orders", "notifier", "audit"] { #expect(traced(service), "\(service)") }
        for pid in children { #expect(kill(pid, 0) != 0, "child \(pid) still runs") }
    }

    /// Killed outright, accord cannot stop its services: they notice their owner is gone and stop.
    @Test func theServicesStopWhenTheAccordThatStartedThemIsKilled() async throws {
        guard try ExternalTool.available("protoc"), try TestBroker.available() else { return }
        let broker = try await TestBroker.endpoint()
        let serve = try ChildProcess([Repository.accordBinary, "serve", Repository.root.appendingPathComponent(
            "contracts/shop").path], environment: ["AMQP_URL": broker.url])
        _ = try await serve.waitForOutput(containing: "READY shop", timeout: 60)
        let children = try Self.children(of: serve.pid)
        #expect(children.count == 4)
        serve.signal(SIGKILL)
        _ = try await serve.wait(timeout: 10)
        try await waitUntil("the orphaned services stop") { children.allSatisfy { kill($0, 0) != 0 } }
    }

    /// The services accord launched: its direct children that run `accord serve --service`.
    static func children(of parent: Int32) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            return fields.count > 1 && Int32(fields[1]) == parent && command.contains("--service")
        }
    }
}
