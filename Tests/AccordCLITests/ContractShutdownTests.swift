import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord load` with shutdown steps on the contract's own services, which the run starts
/// (Fixtures/drain): a gRPC reference service whose calls take 200 ms and publish, a reference
/// consumer that holds each message 200 ms, and a pika consumer written outside Accord, all
/// graceful or all abrupt, under steady load. The measurement must tell the styles apart: calls
/// in flight and messages in hand either all finish or some are lost, and the thresholds turn
/// that into the exit code.
@Suite(.exclusiveMachine) struct ContractShutdownTests {
    /// Fixtures/drain copied into a fresh folder under a system name of its own (so its queues are
    /// fresh), with every "graceful" made `style`.
    struct System {
        let folder: URL
        let name = "drain-\(UInt32.random(in: 0...UInt32.max))"

        init(style: String) throws {
            let source = try #require(
                Bundle.module.url(forResource: "drain", withExtension: nil, subdirectory: "Fixtures"))
            folder = try Repository.temporaryDirectory("accord-drain")
            for file in try FileManager.default.contentsOfDirectory(atPath: source.path) {
                var text = try String(contentsOf: source.appendingPathComponent(file), encoding: .utf8)
                if file == "system.yaml" {
                    text = text.replacingOccurrences(of: "system: drain\n", with: "system: \(name)\n")
                        .replacingOccurrences(of: " drain.pika-worker.", with: " \(name).pika-worker.")
                        .replacingOccurrences(of: "graceful", with: style)
                }
                try text.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8)
            }
        }

        /// Removes the copy, and the durable queues its consumers declared on the shared broker.
        func remove() async {
            try? FileManager.default.removeItem(at: folder)
            guard let connection = try? await TestBroker.connect() else { return }
            for consumer in ["worker", "pika-worker"] {
                _ = try? await connection.deleteQueue("\(name).\(consumer).job.submitted")
            }
            await connection.close()
        }
    }

    /// Runs the system in `style` under 50 requests/s of Submit calls and job.submitted publishes
    /// for `seconds`, with `shutdown` steps and `thresholds`; returns the result and the summary.
    static func load(
        style: String, seconds: Int, shutdown: String, thresholds: [String]
    ) async throws -> (ChildProcess.Result, JSONValue) {
        let system = try System(style: style)
        let broker = try await TestBroker.endpoint()
        let (result, summary) = try await LoadRun.run(
            """
            name: drain-\(style)
            contracts: \(system.folder.path)
            stages: [{ rate: 50/s, for: \(seconds)s }]
            mix:
              - { call: jobs.Submit, request: { name: "job-${seq}" } }
              - { publish: job.submitted, message: { job_id: "j-${seq}", name: direct } }
            limits: { timeout: 5s }
            shutdown: \(shutdown)
            thresholds: [\(thresholds.map { "\"\($0)\"" }.joined(separator: ", "))]
            """, environment: ["AMQP_URL": broker.url], timeout: 60)
        await system.remove()
        return (result, try #require(summary, "no summary: \(result.stdout)\n\(result.stderr)"))
    }

    /// The accounting of `service`, a consumer of the one event the run publishes.
    static func consumer(_ service: String, in summary: JSONValue) throws -> JSONValue {
        guard case .array(let accounts)? = summary["messages"],
            case .array(let consumers)? = accounts.first?["consumers"]
        else { throw ConsumerMissing(summary: summary.jsonText) }
        return try #require(consumers.first { $0["service"]?.stringValue == service }, "\(consumers)")
    }

    struct ConsumerMissing: Error {
        let summary: String
    }

    static func exits(_ summary: JSONValue, of service: String) -> [JSONValue?] {
        LoadRun.events(summary["shutdown"]).filter { $0["kind"] == "exit" && $0["service"]?.stringValue == service }
            .map { $0["detail"] }
    }

    /// jobs stopped at 1 s (not restarted), then the reference worker, restarted (with seconds
    /// to spare before the load ends, for a loaded machine).
    static func reference(style: String) async throws -> (ChildProcess.Result, JSONValue) {
        try await load(
            style: style, seconds: 5,
            shutdown: "[{ service: jobs, at: 1s, grace: 5s }, "
                + "{ service: worker, at: 1200ms, grace: 5s, restart: true }]",
            thresholds: ["shutdown.failed_in_flight == 0", "messages.lost == 0"])
    }

    @Test func aGracefulReferenceSystemFinishesWhatItHoldsAndAnAbruptOneLosesIt() async throws {
        guard try ExternalTool.available("protoc"), try ExternalTool.pythonModuleAvailable("pika"),
            try TestBroker.available()
        else { return }
        let (graceful, good) = try await Self.reference(style: "graceful")
        let output = "\(graceful.stdout)\n\(graceful.stderr)"
        #expect(graceful.status == 0, "\(output)")
        #expect(LoadRun.count(good["shutdown"]?["failedInFlight"]) == 0, "\(output)")
        #expect(LoadRun.count(good["shutdown"]?["completed"]) > 0, "\(output)")
        let worker = try Self.consumer("worker", in: good)
        // Messages were in hand at the signal, and still none was lost.
        #expect(LoadRun.count(worker["inHand"]) > 0, "\(worker.jsonText)")
        #expect(LoadRun.count(worker["lost"]) == 0 && LoadRun.count(worker["leftInQueue"]) == 0, "\(worker.jsonText)")
        #expect(LoadRun.count(worker["processed"]) == LoadRun.count(good["messages"]?[0]?["confirmed"]))
        // Submit's own job.submitted events reach the worker too, and are not the run's.
        #expect(LoadRun.count(worker["untracked"]) > 0, "\(worker.jsonText)")

        // The timeline, per service: jobs drains (GOAWAY between signal and exit), the worker
        // stops and comes back; the worker's step waits for jobs' exit.
        let events = LoadRun.events(good["shutdown"])
        LoadRun.expectInOrder(["signal_sent", "goaway", "exit"], in: events, service: "jobs")
        LoadRun.expectInOrder(["signal_sent", "exit", "restart", "ready"], in: events, service: "worker")
        let jobsExit = events.firstIndex { $0["kind"] == "exit" && $0["service"] == "jobs" }
        let workerSignal = events.firstIndex { $0["kind"] == "signal_sent" && $0["service"] == "worker" }
        #expect((jobsExit ?? .max) < (workerSignal ?? -1))
        #expect(Self.exits(good, of: "jobs") == ["exit code 0"] && Self.exits(good, of: "worker") == ["exit code 0"])

        let (abrupt, bad) = try await Self.reference(style: "abrupt")
        let abruptOutput = "\(abrupt.stdout)\n\(abrupt.stderr)"
        #expect(abrupt.status == 1, "\(abruptOutput)")
        #expect(LoadRun.count(bad["shutdown"]?["failedInFlight"]) > 0, "\(abruptOutput)")
        let lost = try Self.consumer("worker", in: bad)
        #expect(LoadRun.count(lost["lost"]) > 0, "\(lost.jsonText)")
        #expect(LoadRun.count(lost["inHand"]) > 0, "\(lost.jsonText)")
        guard case .array(let thresholds)? = bad["thresholds"] else {
            Issue.record("no thresholds")
            return
        }
        #expect(thresholds.map { $0["passed"] } == [.bool(false), .bool(false)])
        let killed = JSONValue.string("exit code \(128 + SIGTERM)")
        #expect(Self.exits(bad, of: "jobs") == [killed] && Self.exits(bad, of: "worker") == [killed])
    }

    /// The pika worker stopped at 1 s and restarted (jobs keeps answering the calls).
    static func pika(style: String) async throws -> (ChildProcess.Result, JSONValue) {
        try await load(
            style: style, seconds: 4, shutdown: "{ service: pika-worker, at: 1s, grace: 5s, restart: true }",
            thresholds: ["messages.lost == 0"])
    }

    @Test func aPikaConsumerThatCancelsLosesNothingAndOneThatAutoAcksLosesWhatItHeld() async throws {
        guard try ExternalTool.available("protoc"), try ExternalTool.pythonModuleAvailable("pika"),
            try TestBroker.available()
        else { return }
        let (graceful, good) = try await Self.pika(style: "graceful")
        #expect(graceful.status == 0, "\(graceful.stdout)\n\(graceful.stderr)")
        let worker = try Self.consumer("pika-worker", in: good)
        #expect(LoadRun.count(worker["lost"]) == 0, "\(worker.jsonText)")
        #expect(LoadRun.count(worker["processed"]) == LoadRun.count(good["messages"]?[0]?["confirmed"]))
        #expect(Self.exits(good, of: "pika-worker") == ["exit code 0"])

        let (abrupt, bad) = try await Self.pika(style: "abrupt")
        #expect(abrupt.status == 1, "\(abrupt.stdout)\n\(abrupt.stderr)")
        let lost = try Self.consumer("pika-worker", in: bad)
        #expect(LoadRun.count(lost["lost"]) > 0, "\(lost.jsonText)")
        #expect(abrupt.stdout.contains("FAIL  messages.lost == 0"))
        #expect(Self.exits(bad, of: "pika-worker") == ["exit code 1"])
        // The reference worker is abrupt too, but no signal reached it: it lost nothing.
        #expect(LoadRun.count(try Self.consumer("worker", in: bad)["lost"]) == 0)
    }
}
