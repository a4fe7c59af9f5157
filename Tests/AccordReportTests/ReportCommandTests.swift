import AccordGRPC
import AccordLoad
import AccordReport
import AccordTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

/// `accord report` as a user runs it: the built binary on run folders.
@Suite struct ReportCommandTests {
    /// Records one real run of the same plan into `folder`: 50 calls/s to each of two methods of
    /// an in-process gRPC server for 3 s; `delay` makes every `Slow` call wait that long first.
    static func record(delay: Duration?, into folder: URL) async throws -> RunSummary {
        let server = GRPCServer(handlers: [
            "/t.Pair/Fast": .unary { _, request in request },
            "/t.Pair/Slow": .unary { _, request in
                if let delay { try await Task.sleep(for: delay) }
                return request
            },
        ])
        let port = try await server.start()
        let payload: @Sendable (UInt64) -> ByteBuffer = { _ in ByteBuffer(bytes: [8, 1]) }
        let plan = LoadPlan(
            model: .open([RateStage(rate: 100, for: .seconds(3))]),
            mix: [
                .init(GRPCUnaryInteraction(name: "fast", port: port, path: "/t.Pair/Fast", payload: payload)),
                .init(GRPCUnaryInteraction(name: "slow", port: port, path: "/t.Pair/Slow", payload: payload)),
            ])
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
        let outcome = try await LoadRunner().run(plan, on: loops)
        await server.shutdown(grace: .seconds(1))
        let info = ProcessInfo.processInfo
        let summary = RunSummary(
            kind: "load", name: "pair", metadata: RunMetadata(
                accordVersion: "test", hostname: info.hostName, cores: info.activeProcessorCount,
                operatingSystem: info.operatingSystemVersionString, startedAt: outcome.startedAt, endedAt: Date()),
            verdict: Verdict(passed: true, exitCode: 0),
            interactions: outcome.interactionSummaries(transports: ["grpc", "grpc"], intendedRates: [50, 50]),
            timeline: outcome.timeline, generator: outcome.generatorSummary)
        try RunFolder(folder).write(summary)
        return summary
    }

    static func accord(_ arguments: String...) async throws -> ChildProcess.Result {
        try await ChildProcess([Repository.accordBinary] + arguments).wait(timeout: 60)
    }

    /// One BASE/RUN pair compared both ways. True when forward flags `slow` and only it (exit 1)
    /// and the reverse flags nothing (exit 0); the output says what happened otherwise.
    static func comparePair(in root: URL) async throws -> (asExpected: Bool, output: String) {
        let base = root.appendingPathComponent("base"), run = root.appendingPathComponent("run")
        // Both runs under one lock: no browser or other load run beside either of them.
        let (before, after) = try await MachineLock.exclusively {
            (try await record(delay: nil, into: base), try await record(delay: .milliseconds(50), into: run))
        }
        #expect(before.interactions.map(\.errors) == [0, 0] && after.interactions.map(\.errors) == [0, 0])

        let forward = try await accord("report", "--compare", base.path, run.path, "--fail-on-regression", "20")
        #expect(forward.stdout.hasSuffix(run.appendingPathComponent("compare.html").path + "\n"))
        let html = try String(contentsOf: run.appendingPathComponent("compare.html"), encoding: .utf8)
        #expect(html.contains("<span class=\"verdict fail\">REGRESSION</span>") == (forward.status == 1))
        let verdict = forward.stdout.split(separator: "\n").first { $0.hasPrefix("REGRESSION") } ?? ""

        // The same runs the other way round: slow got faster, fast stayed put.
        let output = root.appendingPathComponent("reversed.html")
        let reverse = try await accord(
            "report", "--compare", run.path, base.path, "--fail-on-regression", "20", "--output", output.path)
        #expect(FileManager.default.fileExists(atPath: output.path))
        let asExpected = forward.status == 1 && verdict.contains("slow p99 +") && !verdict.contains("fast")
            && reverse.status == 0
            && reverse.stdout.contains("No p99 or throughput regression beyond 20% and the noise.")
        let transcript = "\(forward.stdout)\(forward.stderr)\n--- reversed:\n\(reverse.stdout)\(reverse.stderr)"
        return (asExpected, transcript)
    }

    /// Issue 8: two runs of one plan, a 50 ms delay injected into one method in the second.
    @Test func compareFlagsTheDelayedInteractionAndNotTheOther() async throws {
        // Both runs share the machine with whatever else runs. When it stalls or gets busier
        // between the two runs, the comparison is right to call `slow` noise or `fast` slower:
        // record the pair again, at most three times. Wrong every time fails the test.
        var outputs: [String] = []
        for _ in 1...3 {
            let root = try Repository.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: root) }
            let (asExpected, output) = try await Self.comparePair(in: root)
            if asExpected { return }
            outputs.append(output)
        }
        Issue.record("no attempt flagged slow alone:\n\(outputs.joined(separator: "\n===\n"))")
    }

    @Test func compareWithoutFailOnRegressionOnlyReports() async throws {
        let root = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let base = root.appendingPathComponent("base"), run = root.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let fast = ReportFixtures.Series(
            name: "a", p50: 1, p99: 2, rate: 100, seconds: Array(repeating: (1, 2, 100), count: 5))
        var slow = fast
        slow.p99 = 40
        slow.seconds = Array(repeating: (1, 40, 100), count: 5)
        try RunFolder(base).write(ReportFixtures.synthetic([fast]))
        try RunFolder(run).write(ReportFixtures.synthetic([slow]))
        let result = try await Self.accord("report", "--compare", base.path, run.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("REGRESSION beyond 10% and the noise: a p99 +1900.0%"), "\(result.stdout)")
    }

    @Test func reRendersIndexHTMLBesideTheSummary() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: ReportFixtures.url("load-summary.json"), to: folder.appendingPathComponent("summary.json"))
        for argument in [folder.path, folder.appendingPathComponent("summary.json").path] {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent("index.html"))
            let result = try await Self.accord("report", argument)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == folder.appendingPathComponent("index.html").path + "\n")
            let html = try String(contentsOf: folder.appendingPathComponent("index.html"), encoding: .utf8)
            #expect(html == HTMLReport(try ReportFixtures.summary("load")).render())
        }
    }

    @Test func badInputExitsWithTwoAndNamesTheFile() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = folder.appendingPathComponent("summary.json").path

        let missing = try await Self.accord("report", "/no/such/run")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/no/such/run: no such run folder"), "\(missing.stderr)")

        let empty = try await Self.accord("report", folder.path)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("\(summary): no such file"), "\(empty.stderr)")

        try "{\"kind\": \"load\",}".write(toFile: summary, atomically: true, encoding: .utf8)
        let broken = try await Self.accord("report", "--compare", folder.path, folder.path)
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("\(summary):1:"), "\(broken.stderr)")

        // A good summary: only the flags are wrong now.
        try Data(contentsOf: ReportFixtures.url("load-summary.json")).write(to: URL(fileURLWithPath: summary))
        for flags in [["--fail-on-regression", "20"], ["--compare", folder.path, "--fail-on-regression=-5"]] {
            let bad = try await ChildProcess([Repository.accordBinary, "report", folder.path] + flags)
                .wait(timeout: 60)
            #expect(bad.status == 2, "\(flags): \(bad.stderr)")
        }
    }
}
