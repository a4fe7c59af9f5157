import AccordContracts
import AccordProcess
import AccordSystem
import AccordTestSupport
import Foundation
import Synchronization
import Testing

/// A system of `run: command` services run for real (shells; no events, so no broker): each
/// line named by its service and replica, one stop for everything, and a service that will not
/// start reported where it is declared, with what it printed.
@Suite struct SystemRunnerTests {
    static let options = SystemRunner.Options(reference: .init(accordExecutable: "/bin/false"))

    /// A system of one service, `worker`, with `replicas` processes running `script`.
    static func system(_ script: String, replicas: Int, in folder: URL) throws -> ContractSystem {
        try """
            system: shells
            services:
              worker:
                run: command
                command: [sh, -c, "\(script)"]
                ready: { output: READY, timeout: 20s }
                replicas: \(replicas)
            """.write(to: folder.appendingPathComponent("system.yaml"), atomically: true, encoding: .utf8)
        return try ContractLoader().load(folder: folder, displayFolder: "shells")
    }

    @Test func linesAreNamedByServiceAndReplicaAndStopEndsEveryProcess() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let system = try Self.system("echo hello; echo READY; exec sleep 30", replicas: 2, in: folder)
        let lines = Mutex<Set<String>>([])
        var options = Self.options
        options.onLine = { service, line in lines.withLock { _ = $0.insert("\(service): \(line)") } }
        let runner = try await SystemRunner.start(system, options: options)
        #expect(lines.withLock { $0 } == ["worker: hello", "worker: READY", "worker#1: hello", "worker#1: READY"])
        let processes = runner.plan.launches.compactMap { runner.fleet.process($0.id) }
        #expect(processes.count == 2 && processes.allSatisfy { $0.timeline.ready != nil })
        await runner.stop(grace: .seconds(10))
        #expect(processes.map(\.exit) == [.signal(SIGTERM), .signal(SIGTERM)])
    }

    @Test func aServiceThatEndsBeforeItIsReadyIsReportedWhereItIsDeclaredWithItsOutput() async throws {
        let folder = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let system = try Self.system("echo cannot bind >&2; exit 3", replicas: 2, in: folder)
        do {
            _ = try await SystemRunner.start(system, options: Self.options)
            Issue.record("the system started")
        } catch {
            #expect(error.service?.hasPrefix("worker (replica ") == true, "\(error)")
            #expect(error.location == "shells/system.yaml:5")
            #expect(error.reason == "it ended (exit code 3) before it was ready")
            #expect(error.output == "cannot bind\n")
        }
    }
}
