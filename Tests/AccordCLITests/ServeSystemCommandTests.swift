import AccordTestSupport
import Foundation
import Testing

/// `accord serve DIR`: the whole shop as processes, reachable through its gateway, stopped
/// gracefully by one SIGTERM; and its processes when accord is interrupted from a terminal or killed.
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

    /// Fixtures/process-tree: reference services with a listener (notes) and without (watcher, a
    /// consumer), and a command (sentinel.sh, which notes in $SENTINEL_LOG each signal reaching it).
    static let processTree = Repository.root.appendingPathComponent("Tests/AccordCLITests/Fixtures/process-tree").path

    /// Killed outright, accord cannot stop its processes: its child reaper sees it gone and sends
    /// SIGTERM to each process group it had started. Run under a subreaper (Fixtures/subreaper.py)
    /// that adopts the orphans, so how each of them ended is seen: every one gracefully.
    @Test func theServicesStopGracefullyWhenTheAccordThatStartedThemIsKilled() async throws {
        guard try ExternalTool.available("python3"), try TestBroker.available() else { return }
        let broker = try await TestBroker.endpoint()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("sentinel.log")
        let subreaper = try #require(
            Bundle.module.path(forResource: "subreaper", ofType: "py", inDirectory: "Fixtures"))
        let run = try await ChildProcess(
            ["python3", subreaper, Repository.accordBinary, "serve", Self.processTree],
            environment: ["SENTINEL_LOG": log.path, "AMQP_URL": broker.url]
        ).wait(timeout: 60)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        // How the process named by the first line starting with `tag` (and holding `marker`) ended.
        func ending(_ tag: String, _ marker: String? = nil) -> String? {
            let named = lines.first { line in
                line.first == tag && marker.map { line.joined(separator: " ").contains($0) } ?? true
            }
            guard let pid = named?.dropFirst().first else { return nil }
            return lines.first { $0.count == 3 && $0[0] == "ENDED" && $0[1] == pid }?.last
        }
        #expect(ending("OWNER") == "signal=\(SIGKILL)", "\(run.stdout)")
        // Each went at the reaper's SIGTERM, in its own way: the reference services' graceful
        // shutdown (their logs now go nowhere), the command's trap. Then the reaper itself, with
        // nothing left to wait for.
        #expect(ending("CHILD", "--service notes") == "code=0", "\(run.stdout)")
        #expect(ending("CHILD", "--service watcher") == "code=0", "\(run.stdout)")
        #expect(ending("CHILD", "sentinel.sh") == "code=0", "\(run.stdout)")
        #expect(try String(contentsOf: log, encoding: .utf8) == "SIGTERM\n")
        #expect(ending("CHILD", "accord-child-reaper") == "code=0", "\(run.stdout)")
        #expect(lines.last == ["DONE"], "nothing left behind: \(run.stdout)")
    }

    /// A Ctrl-C on the terminal is SIGINT to accord's process group: it reaches accord alone (each
    /// service runs in a group of its own), and accord stops its services in order, with SIGTERM.
    @Test func aSIGINTToAccordsProcessGroupReachesAccordAloneWhichStopsItsServices() async throws {
        guard try TestBroker.available() else { return }
        let broker = try await TestBroker.endpoint()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("sentinel.log")
        let serve = try ChildProcess([Repository.accordBinary, "serve", Self.processTree, "--log-level", "debug"],
                                     environment: ["SENTINEL_LOG": log.path, "AMQP_URL": broker.url])
        _ = try await serve.waitForOutput(containing: "READY process-tree", timeout: 60)
        // Its own group (as a shell's job is), so the signal below reaches nothing of the tests'.
        try #require(getpgid(serve.pid) == serve.pid)
        kill(-serve.pid, SIGINT)
        let result = try await serve.wait(timeout: 30)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("stopping process-tree"))
        #expect(try String(contentsOf: log, encoding: .utf8) == "SIGTERM\n")
        for service in ["notes", "watcher"] {
            let caught = result.stderr.split(separator: "\n").filter {
                $0.hasPrefix("[\(service)] ") && $0.contains("Signal caught")
            }
            #expect(caught.count == 1 && caught.allSatisfy { $0.contains("sl-signal=SIGTERM") }, "\(caught)")
        }
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
