import AccordProcess
import AccordSystem
import AccordTestSupport
import Foundation
import Synchronization
import Testing

/// The fleet against real child processes (shells): readiness, each line by replica, a relaunch,
/// and one graceful stop of everything.
@Suite struct ServiceFleetTests {
    /// `count` shells that print where they run, then READY, and stay up until signalled.
    static func shells(_ name: String, count: Int, in directory: URL, ports: Int? = nil,
                       script: String = "echo in $(pwd); echo READY; exec sleep 30") -> ServiceSpec {
        ServiceSpec(name: name, directory: directory, replicas: (0..<count).map { index in
            ServiceSpec.Replica(index: index, command: ["sh", "-c", script], environment: [:],
                                readiness: .outputLine(containing: "READY"), port: ports.map { $0 + index })
        })
    }

    /// Each of `services`, given up to 20 s to become ready.
    static func starts(_ services: String...) -> [ServiceStart] {
        services.map { ServiceStart(service: $0, location: nil, readyTimeout: .seconds(20)) }
    }

    @Test func startsEveryReplicaUntilReadyAndSaysWhichOnePrintedEachLine() async throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = Mutex<[ReplicaID: [String]]>([:])
        let fleet = ServiceFleet(
            [Self.shells("web", count: 2, in: directory, ports: 7000), Self.shells("worker", count: 1, in: directory)],
            lineObservers: ["web": { id, line in lines.withLock { $0[id, default: []].append(line) } }])
        try await fleet.launchAll(Self.starts("web", "worker"))
        let web = fleet.replicas(of: "web")
        let worker = ReplicaID(service: "worker", replica: 0)
        #expect(web == [ReplicaID(service: "web", replica: 0), ReplicaID(service: "web", replica: 1)])
        #expect(fleet.replicas(of: "nobody").isEmpty)
        #expect(fleet.replica(listeningOn: 7001) == web[1])
        #expect(fleet.replica(listeningOn: 7002) == nil)
        for id in web + [worker] { #expect(fleet.process(id)?.timeline.ready != nil, "\(id)") }
        // Only the observed service's lines, each with its replica; run in the spec's directory.
        #expect(lines.withLock { $0 } == [web[0]: ["in \(directory.path)", "READY"],
                                          web[1]: ["in \(directory.path)", "READY"]])
        let processes = (web + [worker]).compactMap(fleet.process)
        await fleet.stop(grace: .seconds(10))
        #expect(processes.map(\.exit) == Array(repeating: .signal(SIGTERM), count: 3))
    }

    @Test func aRelaunchedReplicaIsANewProcessStillObservedAndStopKillsWhatIgnoresSIGTERM() async throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let ready = Mutex(0)
        let fleet = ServiceFleet(
            [Self.shells("stubborn", count: 1, in: directory, script: "trap '' TERM; echo READY; exec sleep 30")],
            lineObservers: ["stubborn": { _, line in if line == "READY" { ready.withLock { $0 += 1 } } }])
        let id = ReplicaID(service: "stubborn", replica: 0)
        let first = try await fleet.launch(id, timeout: .seconds(20))
        first.send(SIGKILL)
        #expect(await first.waitForExit(timeout: .seconds(10)) == .signal(SIGKILL))
        let second = try await fleet.launch(id, timeout: .seconds(20))
        #expect(second.pid != first.pid && fleet.process(id) === second)
        #expect(ready.withLock { $0 } == 2)
        await fleet.stop(grace: .milliseconds(300))
        #expect(second.exit == .signal(SIGKILL))
        #expect(second.timeline.signalled.map(\.signal) == [SIGTERM, SIGKILL])
    }

    @Test func aRelaunchWaitsUntilWhatThePredecessorLeftInItsGroupHasBeenEnded() async throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The shell dies of SIGTERM; the child it started ignores SIGTERM (as a server holding the
        // service's port might, for a while) and is ended by SIGKILL 5 s after the shell's exit.
        let script = "sh -c \"trap '' TERM; exec sleep 300\" & echo up $!; echo READY; wait"
        let fleet = ServiceFleet([Self.shells("wrapper", count: 1, in: directory, script: script)])
        let id = ReplicaID(service: "wrapper", replica: 0)
        let first = try await fleet.launch(id, timeout: .seconds(20))
        let leftover = try #require(first.announcedPID)
        first.send(SIGTERM)
        #expect(await first.waitForExit(timeout: .seconds(10)) == .signal(SIGTERM))
        let second = try await fleet.launch(id, timeout: .seconds(20))
        #expect(!ProcessTable.isRunning(leftover), "the predecessor's child outlived the relaunch")
        #expect(first.timeline.groupSignalled.map(\.signal) == [SIGTERM, SIGKILL])
        await fleet.stop(grace: .seconds(5))
        #expect(second.exit == .signal(SIGTERM))
    }

    @Test func refusesReplicasItDoesNotHaveOrHasNotLaunched() async throws {
        let fleet = ServiceFleet([Self.shells("web", count: 1, in: URL(fileURLWithPath: "/"))])
        let unknown = ReplicaID(service: "web", replica: 1)
        #expect(throws: ServiceFleet.ReplicaError.unknown(unknown)) { try fleet.spawn(unknown) }
        #expect(ServiceFleet.ReplicaError.unknown(unknown).description == "web[1] is not one of the run's services")
        let idle = ReplicaID(service: "web", replica: 0)
        await #expect(throws: ServiceFleet.ReplicaError.notLaunched(idle)) {
            try await fleet.waitUntilReady(idle, timeout: .seconds(1))
        }
    }

    @Test func aReplicaThatEndsBeforeItIsReadyFailsTheStartWithItsOutput() async throws {
        let fleet = ServiceFleet([Self.shells("broken", count: 1, in: URL(fileURLWithPath: "/"),
                                              script: "echo cannot bind >&2; exit 3")])
        await #expect {
            try await fleet.launchAll(Self.starts("broken"))
        } throws: { error in
            let text = "\(error)"
            return error is SystemStartError && text.contains("exit code 3") && text.contains("cannot bind")
        }
        #expect(fleet.process(ReplicaID(service: "broken", replica: 0))?.exit == .code(3))
    }
}
