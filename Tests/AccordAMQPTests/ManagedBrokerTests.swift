@testable import AccordAMQP
import AccordTestSupport
import Foundation
import Testing

/// The managed broker as a user meets it: owned by another process (accord-amqp-probe broker, the same
/// library code the CLI runs), started because AMQP_URL is unset, and gone when that process ends.
@Suite(.timeLimit(.minutes(2)))
struct ManagedBrokerTests {
    struct Ready {
        let endpoint: AMQPEndpoint
        let nodeName: String
        let pid: Int32
    }

    /// Starts the probe's broker command with AMQP_URL unset and reads its READY line.
    private func startOwner() async throws -> (ChildProcess, Ready) {
        try #require(FileManager.default.isExecutableFile(atPath: Probe.path), "build with swift build --build-tests")
        let owner = try ChildProcess([Probe.path, "broker"], environment: ["AMQP_URL": ""])
        let line = try await owner.waitForOutput(containing: "READY", timeout: 60)
        let fields = line.split(separator: " ")
        try #require(fields.count == 4, "unexpected line \(line)")
        let ready = Ready(endpoint: try AMQPEndpoint(url: String(fields[1])), nodeName: String(fields[2]),
                          pid: try #require(Int32(fields[3])))
        #expect(ready.nodeName != "external", "AMQP_URL is unset, so a broker must have been started")
        return (owner, ready)
    }

    /// Local addresses `pid` listens on, from `ss -ltnp`.
    private func listeningAddresses(of pid: Int32) throws -> [String] {
        let result = try ChildProcess.run(["ss", "-Hltnp"])
        return result.stdout.split(separator: "\n").filter { $0.contains("pid=\(pid),") }.compactMap { line in
            let columns = line.split(whereSeparator: \.isWhitespace)
            return columns.count > 3 ? String(columns[3]) : nil
        }
    }

    private func waitUntilGone(_ pid: Int32, seconds: Int) async throws -> Bool {
        for _ in 0..<(seconds * 10) {
            if !ProcFS.isAlive(pid) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return !ProcFS.isAlive(pid)
    }

    @Test func startsOnLoopbackOnlyAndIsGoneAfterTheOwnerExitsBySIGINT() async throws {
        guard try ExternalTool.available("rabbitmq-server"), try ExternalTool.available("ss") else { return }
        let (owner, ready) = try await startOwner()
        let addresses = try listeningAddresses(of: ready.pid)
        #expect(addresses.contains("127.0.0.1:\(ready.endpoint.port)"), "AMQP listener: \(addresses)")
        #expect(addresses.count >= 2, "AMQP and Erlang distribution: \(addresses)")
        #expect(addresses.allSatisfy { $0.hasPrefix("127.0.0.1:") }, "nothing on 0.0.0.0 or [::]: \(addresses)")
        let connection = try await AMQPConnection.connect(to: ready.endpoint)
        await connection.close()
        let record = ManagedBroker.defaultStateDirectory.appendingPathComponent("\(ready.nodeName).json")
        #expect(FileManager.default.fileExists(atPath: record.path))

        owner.signal(SIGINT)
        let exit = try await owner.wait(timeout: 60)
        #expect(exit.status == 0)
        #expect(exit.stdout.contains("STOPPED"))
        #expect(try await waitUntilGone(ready.pid, seconds: 5), "the broker stops before its owner exits")
        #expect(try listeningAddresses(of: ready.pid).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: record.path))
    }

    @Test func anOwnerKilledBySIGKILLLeavesNoBrokerRunning() async throws {
        guard try ExternalTool.available("rabbitmq-server") else { return }
        let (owner, ready) = try await startOwner()
        owner.signal(SIGKILL)
        _ = try await owner.wait(timeout: 10)
        // The watchdog saw the owner's end of its pipe close and stopped the broker.
        #expect(try await waitUntilGone(ready.pid, seconds: 45))
        // The record is an orphan's now; the next start (here: its clean-up step) removes it.
        let record = ManagedBroker.defaultStateDirectory.appendingPathComponent("\(ready.nodeName).json")
        try await BrokerRecord.cleanUpOrphans(in: ManagedBroker.defaultStateDirectory, logger: .init(label: "test"))
        #expect(!FileManager.default.fileExists(atPath: record.path))
    }

    /// An orphan whose watchdog died too (say, both were SIGKILLed): clean-up finds its processes by the
    /// private directory in their environment, kills them, and spares epmd, which brokers share.
    @Test func orphanCleanUpKillsTheBrokersProcessesButNotEpmd() async throws {
        let scratch = try Repository.temporaryDirectory("accord-orphan")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stateDirectory = scratch.appendingPathComponent("state")
        let base = scratch.appendingPathComponent("broker")
        try FileManager.default.createDirectory(at: base.appendingPathComponent("mnesia"),
                                                withIntermediateDirectories: true)
        let fakeEpmd = scratch.appendingPathComponent("epmd")
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: fakeEpmd.path)
        let marker = ["RABBITMQ_MNESIA_BASE": "\(base.path)/mnesia"]
        let strayBroker = try ChildProcess(["sleep", "60"], environment: marker)
        let sharedEpmd = try ChildProcess([fakeEpmd.path, "60"], environment: marker)
        let gone = try ChildProcess(["true"])
        _ = try await gone.wait()

        var record = BrokerRecord(nodeName: "accord-orphan@localhost", baseDirectory: base.path, watchdogPID: 0)
        record.ownerPID = gone.pid
        try record.write(in: stateDirectory)
        #expect(!record.ownerIsAlive)
        try await Task.sleep(for: .milliseconds(200))  // let the children exec, so /proc shows their environment
        #expect(record.processes().sorted() == [strayBroker.pid])

        try await BrokerRecord.cleanUpOrphans(in: stateDirectory, logger: .init(label: "test"))
        #expect(try await waitUntilGone(strayBroker.pid, seconds: 5))
        #expect(sharedEpmd.isRunning)
        #expect(!FileManager.default.fileExists(atPath: base.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: stateDirectory.path).isEmpty)
    }

    @Test func aRecordOfALiveOwnerIsLeftAlone() async throws {
        let scratch = try Repository.temporaryDirectory("accord-live-owner")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let record = BrokerRecord(nodeName: "accord-live@localhost", baseDirectory: scratch.path, watchdogPID: 0)
        #expect(record.ownerIsAlive, "this process")
        try record.write(in: scratch)
        try await BrokerRecord.cleanUpOrphans(in: scratch, logger: .init(label: "test"))
        let file = scratch.appendingPathComponent("accord-live@localhost.json")
        #expect(FileManager.default.fileExists(atPath: file.path))
    }
}
