import AccordJSON
import AccordTestSupport
import Foundation
import Testing

/// `accord load` as performance engineers run it: the built binary, a real gRPC target process
/// (`accord demo --keep-serving`), real signals.
@Suite struct LoadCommandTests {
    static let greeter = Repository.root.appendingPathComponent("contracts/demo/greeter.proto").path

    /// Starts the demo server on a free port.
    static func target() async throws -> (ChildProcess, Int) {
        let port = FreePort.next()
        let server = try ChildProcess([Repository.accordBinary, "demo", greeter, "--keep-serving", "--port", "\(port)"])
        _ = try await server.waitForOutput(containing: "READY")
        return (server, port)
    }

    static func profile(port: Int, stages: String, thresholds: [String], in directory: URL) throws -> String {
        let text = """
            name: cli-test
            model: open
            stages: \(stages)
            \(GreeterProfile.mix(port: port))
            limits: { timeout: 1s }
            thresholds: [\(thresholds.map { "\"\($0)\"" }.joined(separator: ", "))]
            """
        let file = directory.appendingPathComponent("profile-\(UUID().uuidString).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    static func summary(in reports: URL) throws -> JSONValue {
        let runs = try FileManager.default.contentsOfDirectory(atPath: reports.path).filter { $0.hasPrefix("cli-test-") }
        let run = try #require(runs.sorted().last)
        let data = try Data(contentsOf: reports.appendingPathComponent(run).appendingPathComponent("summary.json"))
        for file in ["latency.hlog", "index.html", "junit.xml"] {
            #expect(FileManager.default.fileExists(atPath: reports.appendingPathComponent(run).appendingPathComponent(file).path))
        }
        return try JSONParser.parse(data)
    }

    @Test func thresholdsDecideTheExitCode() async throws {
        let (server, port) = try await Self.target()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reports = directory.appendingPathComponent("reports")
        let stages = "[{ rate: 100/s, for: 2s }]"

        let passing = try Self.profile(port: port, stages: stages, thresholds: ["errors < 1%", "p99 < 5s"], in: directory)
        let pass = try await ChildProcess([Repository.accordBinary, "load", passing, "--reports", reports.path]).wait(timeout: 60)
        #expect(pass.status == 0, "\(pass.stdout)\n\(pass.stderr)")
        #expect(pass.stdout.contains("PASS  errors < 1%"))
        let summary = try Self.summary(in: reports)
        #expect(summary["interactions"]?[0]?["count"] == 200)
        #expect(summary["verdict"]?["exitCode"] == 0)

        let failing = try Self.profile(port: port, stages: stages, thresholds: ["p50 < 1us"], in: directory)
        let fail = try await ChildProcess([Repository.accordBinary, "load", failing, "--reports", reports.path]).wait(timeout: 60)
        #expect(fail.status == 1, "\(fail.stdout)\n\(fail.stderr)")
        #expect(fail.stdout.contains("FAIL  p50 < 1us"))
        server.signal(SIGTERM)
        _ = try await server.wait(timeout: 20)
    }

    @Test func sigintStopsTheRunAndKeepsItsResults() async throws {
        let (server, port) = try await Self.target()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reports = directory.appendingPathComponent("reports")
        let profile = try Self.profile(port: port, stages: "[{ rate: 50/s, for: 60s }]", thresholds: [], in: directory)
        let load = try ChildProcess([Repository.accordBinary, "load", profile, "--reports", reports.path])
        // Once the run has measured (the first progress line, after 5 s), however slow the start.
        _ = try await load.waitForOutput(containing: "s/60s]", timeout: 60)
        load.signal(SIGINT)
        let result = try await load.wait(timeout: 20)
        // Never 0, though it has no threshold to fail: its results are partial.
        #expect(result.status == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("the run was interrupted after "), "\(result.stderr)")
        #expect(result.stderr.contains(" of 60 s: the results are partial"), "\(result.stderr)")
        #expect(result.stdout.contains("verdict: INTERRUPTED") && result.stdout.contains("report: "))
        let summary = try Self.summary(in: reports)
        #expect(summary["metadata"]?["partial"] == true)
        #expect(summary["verdict"]?["exitCode"] == 2)
        let count = summary["interactions"]?[0]?["count"]?.numberValue?.int64Value ?? 0
        // Some of the run, and less than its whole 60 s at 50/s.
        #expect(count > 0 && count < 3000)
        // Among the notes (a busy machine may add "fell behind" too), the interruption is said.
        guard case .array(let notes)? = summary["verdict"]?["notes"] else { Issue.record("no notes"); return }
        #expect(notes.contains { $0.stringValue?.contains("interrupted") == true }, "\(notes)")
        server.signal(SIGTERM)
        _ = try await server.wait(timeout: 20)
    }

    @Test func aTargetKilledMidwayIsCountedNotFatal() async throws {
        let (server, port) = try await Self.target()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reports = directory.appendingPathComponent("reports")
        let profile = try Self.profile(port: port, stages: "[{ rate: 50/s, for: 5s }]", thresholds: ["errors < 1%"], in: directory)
        let load = try ChildProcess([Repository.accordBinary, "load", profile, "--reports", reports.path])
        try await Task.sleep(for: .seconds(2))
        server.signal(SIGKILL)
        let result = try await load.wait(timeout: 60)
        // The run went on to the end and failed its error threshold.
        #expect(result.status == 1, "\(result.stdout)\n\(result.stderr)")
        let summary = try Self.summary(in: reports)
        let interaction = try #require(summary["interactions"]?[0])
        #expect(interaction["count"] == 250)
        guard case .object(let kinds)? = interaction["errorsByKind"] else { Issue.record("no errorsByKind"); return }
        #expect(!kinds.isEmpty)
        #expect(Set(kinds.keys).isSubset(of: ["connect_failed", "connection_lost", "refused", "reset.CANCEL", "timeout"]),
                "\(kinds)")
    }

    @Test func badProfilesExitWithTwoAndEveryProblem() async throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.yaml")
        try """
            name: bad
            model: open
            stages:
              - { rate: fast, for: 10s }
            mix:
              - grpc: { address: nowhere, proto: x.proto, method: A/B }
                wieght: 2
            thresholds: ["p98 < 1ms"]
            """.write(to: file, atomically: true, encoding: .utf8)
        let result = try await ChildProcess([Repository.accordBinary, "load", file.path]).wait(timeout: 30)
        #expect(result.status == 2)
        for expected in [
            "bad.yaml:4:7: stages[0].rate: expected a rate", "bad.yaml:7:5: mix[0].wieght: unknown key (did you mean \"weight\"?)",
            "bad.yaml:6:13: mix[0].grpc.address: expected host:port", "thresholds[0]: unknown metric \"p98\"",
        ] {
            #expect(result.stderr.contains(expected), "missing \(expected) in:\n\(result.stderr)")
        }
    }
}
