import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord load` with a `shutdown:` step, against services written outside Accord: a grpcio
/// server that drains on SIGTERM and one that exits at once. The measurement must tell them apart.
@Suite struct ShutdownScenarioTests {
    static let peer = Bundle.module.path(forResource: "shutdown_peer", ofType: "py", inDirectory: "Fixtures")!

    static func run(mode: String) async throws -> (ChildProcess.Result, JSONValue) {
        let port = FreePort.next()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = directory.appendingPathComponent("shutdown.yaml")
        try """
            name: shutdown-\(mode)
            model: open
            stages: [{ rate: 100/s, for: 3s }]
            services:
              peer:
                command: [python3, \(peer), \(mode), "\(port)"]
                ready: { output: READY }
            shutdown: { service: peer, at: 1s, signal: SIGTERM, grace: 5s }
            \(GreeterProfile.mix(port: port))
            limits: { timeout: 2s }
            thresholds: ["shutdown.failed_in_flight == 0"]
            """.write(to: profile, atomically: true, encoding: .utf8)
        let reports = directory.appendingPathComponent("reports")
        let result = try await ChildProcess([Repository.accordBinary, "load", profile.path, "--reports", reports.path])
            .wait(timeout: 60)
        let run = try #require(try FileManager.default.contentsOfDirectory(atPath: reports.path).first)
        let summary = try JSONParser.parse(
            try Data(contentsOf: reports.appendingPathComponent(run).appendingPathComponent("summary.json")))
        return (result, summary)
    }

    static func count(_ value: JSONValue?) -> Int64 { value?.numberValue?.int64Value ?? -1 }

    @Test func aGracefulServerLosesNothingInFlightAndAnAbruptOneDoes() async throws {
        guard try ExternalTool.pythonModuleAvailable("grpc") else { return }
        let (graceful, gracefulSummary) = try await Self.run(mode: "graceful")
        let (abrupt, abruptSummary) = try await Self.run(mode: "abrupt")

        let good = try #require(gracefulSummary["shutdown"])
        #expect(Self.count(good["failedInFlight"]) == 0, "\(graceful.stdout)")
        #expect(Self.count(good["completed"]) > 0)
        // After it exits, new calls find no listener: refused before processing, safe to retry.
        #expect(Self.count(good["refusedBeforeProcessing"]) > 0, "\(graceful.stdout)")
        #expect(graceful.status == 0, "\(graceful.stdout)\n\(graceful.stderr)")

        let bad = try #require(abruptSummary["shutdown"])
        #expect(Self.count(bad["failedInFlight"]) > 0, "\(abrupt.stdout)")
        #expect(abrupt.status == 1, "\(abrupt.stdout)\n\(abrupt.stderr)")

        // The timeline: the signal, then the exit, with the graceful drain taking time and the
        // abrupt exit coming at once with its code.
        for (summary, exitDetail) in [(good, "exit code 0"), (bad, "exit code 1")] {
            guard case .array(let events)? = summary["events"] else { Issue.record("no events"); continue }
            let kinds = events.compactMap { $0["kind"]?.stringValue }
            #expect(kinds.prefix(2) == ["signal_sent", "exit"], "\(kinds)")
            #expect(events.first { $0["kind"] == "exit" }?["detail"]?.stringValue == exitDetail)
            let seconds = events.compactMap { $0["second"]?.numberValue?.doubleValue }
            #expect(seconds == seconds.sorted())
            #expect((seconds.first ?? 0) >= 0.9)
        }
        #expect((good["drainSeconds"]?.numberValue?.doubleValue ?? 0) > (bad["drainSeconds"]?.numberValue?.doubleValue ?? 1))
    }
}
