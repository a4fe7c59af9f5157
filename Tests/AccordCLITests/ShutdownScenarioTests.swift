import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord load` with `shutdown:` steps, against services written outside Accord: a grpcio
/// server that drains on SIGTERM and one that exits at once. The measurement must tell them apart.
@Suite(.exclusiveMachine) struct ShutdownScenarioTests {
    static let peer = Bundle.module.path(forResource: "shutdown_peer", ofType: "py", inDirectory: "Fixtures")!

    /// Runs the grpcio peer in `mode` as one replica per port under 100 requests/s for `seconds`,
    /// with the `shutdown` steps and the threshold `shutdown.failed_in_flight == 0`; reads the summary.
    static func run(
        _ name: String, mode: String, ports: [Int], seconds: Int, shutdown: String
    ) async throws -> (ChildProcess.Result, JSONValue) {
        let (result, summary) = try await LoadRun.run(
            """
            name: \(name)-\(mode)
            model: open
            stages: [{ rate: 100/s, for: \(seconds)s }]
            services:
              peer:
                command: [python3, \(peer), \(mode), "${port}"]
                replicas: \(ports.count)
                port: [\(ports.map(String.init).joined(separator: ", "))]
                ready: { output: READY }
            shutdown: \(shutdown)
            \(GreeterProfile.mix(ports: ports))
            limits: { timeout: 2s }
            thresholds: ["shutdown.failed_in_flight == 0"]
            """, timeout: 60)
        return (result, try #require(summary, "no summary: \(result.stdout)\n\(result.stderr)"))
    }

    /// One replica stopped at 1 s and not restarted.
    static func single(mode: String) async throws -> (ChildProcess.Result, JSONValue) {
        try await run(
            "shutdown", mode: mode, ports: [FreePort.next()], seconds: 3,
            shutdown: "{ service: peer, at: 1s, signal: SIGTERM, grace: 5s }")
    }

    /// Two replicas on their own ports, restarted one after the other.
    static func rolling(mode: String) async throws -> (ChildProcess.Result, JSONValue) {
        let first = FreePort.next()
        var second = FreePort.next()
        for _ in 0..<10 where second == first { second = FreePort.next() }
        return try await run(
            "rolling", mode: mode, ports: [first, second], seconds: 4,
            shutdown: "[{ service: peer, replica: 0, at: 1s, grace: 5s, restart: true }, "
                + "{ service: peer, replica: 1, at: 2s, grace: 5s, restart: true }]")
    }

    @Test func aGracefulServerLosesNothingInFlightAndAnAbruptOneDoes() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc") else { return }
        let (graceful, gracefulSummary) = try await Self.single(mode: "graceful")
        let (abrupt, abruptSummary) = try await Self.single(mode: "abrupt")

        let good = try #require(gracefulSummary["shutdown"])
        #expect(LoadRun.count(good["failedInFlight"]) == 0, "\(graceful.stdout)")
        #expect(LoadRun.count(good["completed"]) > 0)
        // After it exits, new calls find no listener: refused before processing, safe to retry.
        #expect(LoadRun.count(good["refusedBeforeProcessing"]) > 0, "\(graceful.stdout)")
        #expect(graceful.status == 0, "\(graceful.stdout)\n\(graceful.stderr)")

        let bad = try #require(abruptSummary["shutdown"])
        #expect(LoadRun.count(bad["failedInFlight"]) > 0, "\(abrupt.stdout)")
        #expect(abrupt.status == 1, "\(abrupt.stdout)\n\(abrupt.stderr)")

        // The timeline: the signal, then the exit, with the graceful drain taking time and the
        // abrupt exit coming at once with its code; only the graceful server sent GOAWAYs, between
        // the two. (The last success may come before the signal: an abrupt server answers until it.)
        for (summary, exitDetail) in [(good, "exit code 0"), (bad, "exit code 1")] {
            let events = LoadRun.events(summary)
            let kinds = events.compactMap { $0["kind"]?.stringValue }
            let signal = try #require(kinds.firstIndex(of: "signal_sent"), "\(kinds)")
            let exit = try #require(kinds.firstIndex(of: "exit"), "\(kinds)")
            #expect(signal < exit, "\(kinds)")
            #expect(events[exit]["detail"]?.stringValue == exitDetail)
            let seconds = events.compactMap { $0["second"]?.numberValue?.doubleValue }
            #expect(seconds == seconds.sorted())
            #expect((events[signal]["second"]?.numberValue?.doubleValue ?? 0) >= 0.9)
        }
        let goodKinds = LoadRun.events(good).compactMap { $0["kind"]?.stringValue }
        let goaway = try #require(goodKinds.firstIndex(of: "goaway"), "\(goodKinds)")
        let signal = try #require(goodKinds.firstIndex(of: "signal_sent"))
        let exit = try #require(goodKinds.firstIndex(of: "exit"))
        #expect(signal < goaway && goaway < exit, "\(goodKinds)")
        #expect(!LoadRun.events(bad).contains { $0["kind"] == "goaway" })
        #expect(LoadRun.count(good["goawayRace"]) == 0 && LoadRun.count(bad["goawayRace"]) == 0)
        #expect((good["drainSeconds"]?.numberValue?.doubleValue ?? 0) > (bad["drainSeconds"]?.numberValue?.doubleValue ?? 1))
    }

    @Test func aRollingRestartOfGracefulReplicasLosesNothingAndAnAbruptOneFailsItsThreshold() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc") else { return }
        let (graceful, gracefulSummary) = try await Self.rolling(mode: "graceful")
        let good = try #require(gracefulSummary["shutdown"])
        #expect(graceful.status == 0, "\(graceful.stdout)\n\(graceful.stderr)")
        #expect(LoadRun.count(good["failedInFlight"]) == 0, "\(graceful.stdout)")
        guard case .array(let steps)? = good["steps"] else {
            Issue.record("no steps: \(graceful.stdout)")
            return
        }
        #expect(steps.map { $0["replica"]?.numberValue?.int64Value } == [0, 1])
        #expect(steps.allSatisfy { LoadRun.count($0["requests"]?["failedInFlight"]) == 0 })
        #expect(steps.allSatisfy { ($0["drainSeconds"]?.numberValue?.doubleValue ?? -1) > 0 })
        guard case .array(let latency)? = good["latency"], let sayHello = latency.first else {
            Issue.record("no drain latency: \(graceful.stdout)")
            return
        }
        #expect(LoadRun.count(sayHello["steady"]?["count"]) > 0 && LoadRun.count(sayHello["drain"]?["count"]) > 0)

        // Per replica, in timeline order: signal, GOAWAY on its connections, exit, restart, ready.
        let events = LoadRun.events(good)
        for replica in [0, 1] {
            LoadRun.expectInOrder(
                ["signal_sent", "goaway", "exit", "restart", "ready"], in: events, service: "peer", replica: replica)
            let goaway = try #require(
                events.first { $0["kind"] == "goaway" && LoadRun.count($0["replica"]) == Int64(replica) })
            #expect(goaway["errorCode"]?.stringValue == "NO_ERROR")
            #expect(goaway["lastStreamID"]?.numberValue != nil && goaway["address"]?.stringValue != nil)
        }
        // The second replica is signalled only once the first is ready again.
        let ready0 = events.firstIndex { $0["kind"] == "ready" && LoadRun.count($0["replica"]) == 0 }
        let signal1 = events.firstIndex { $0["kind"] == "signal_sent" && LoadRun.count($0["replica"]) == 1 }
        #expect((ready0 ?? .max) < (signal1 ?? -1))

        let (abrupt, abruptSummary) = try await Self.rolling(mode: "abrupt")
        #expect(abrupt.status == 1, "\(abrupt.stdout)\n\(abrupt.stderr)")
        #expect(LoadRun.count(abruptSummary["shutdown"]?["failedInFlight"]) > 0, "\(abrupt.stdout)")
        guard case .array(let thresholds)? = abruptSummary["thresholds"] else {
            Issue.record("no thresholds")
            return
        }
        #expect(thresholds.map { $0["passed"] } == [.bool(false)])
    }
}
