import AccordProcess
import AccordTestSupport
import Foundation
import Testing

/// The supervisor against real child processes: the accord binary serving gRPC, shells, sleep.
@Suite struct ManagedProcessTests {
    static let greeter = Repository.root.appendingPathComponent("contracts/demo/greeter.proto").path

    @Test func aServiceIsReadyAndStopsGracefullyOnSIGTERM() async throws {
        let port = try LocalPort.free()
        #expect(!LocalPort.accepts(port))
        let service = try ManagedProcess.launch(
            [Repository.accordBinary, "demo", Self.greeter, "--keep-serving", "--port", "\(port)"])
        // Ready as soon as the port accepts, while the demo's own calls may still be running:
        // it traps signals before it binds, so SIGTERM now still means a graceful exit.
        try await service.waitUntilReady(.port(port))
        #expect(LocalPort.accepts(port))
        // Spawned from async code, it still receives SIGTERM (signals are not blocked), and
        // its graceful shutdown ends in exit code 0.
        let exit = await service.stop(grace: .seconds(20))
        #expect(exit == .code(0), "\(service.output)")
        let timeline = service.timeline
        let ready = try #require(timeline.ready)
        let signalled = try #require(timeline.signalled.first)
        let exited = try #require(timeline.exited)
        #expect(timeline.launched <= ready && ready <= signalled.at && signalled.at <= exited)
        #expect(signalled.signal == SIGTERM)
        #expect(!LocalPort.accepts(port))
    }

    @Test func reportsTheSignalThatEndedAProcessAndKillsWhatItStarted() async throws {
        // A shell whose child keeps the output pipe open: the exit is still seen when it happens.
        let sleeper = try ManagedProcess.launch(["sh", "-c", "trap '' TERM; sleep 30 & echo up $!; wait"])
        try await sleeper.waitUntilReady(.outputLine(containing: "up "))
        let child = try #require(sleeper.announcedPID)
        // It ignores SIGTERM, so stop escalates to SIGKILL after the grace period.
        let exit = await sleeper.stop(grace: .milliseconds(300))
        #expect(exit == .signal(SIGKILL))
        #expect(sleeper.timeline.signalled.map(\.signal) == [SIGTERM, SIGKILL])
        #expect(exit?.description == "killed by SIGKILL")
        // The SIGKILL went to the whole process group: the shell's child too.
        try await waitUntil("the shell's child is gone") { !ProcessTable.isRunning(child) }
    }

    /// A shell that dies of SIGTERM (as `sh -c` does without a trap) leaves its children behind,
    /// holding its ports: they are ended once it has exited, gently first, and with SIGKILL when
    /// they ignore SIGTERM (here a shell that ignores it, and its sleep, which inherits that).
    @Test(arguments: [
        ("sleep 100 & echo up $!; wait", [SIGTERM]),
        ("sh -c \"trap '' TERM; sleep 100; true\" & echo up $!; wait", [SIGTERM, SIGKILL]),
    ])
    func whatAServiceLeftInItsGroupWhenItExitedIsEnded(script: String, signals: [Int32]) async throws {
        let service = try ManagedProcess.launch(["sh", "-c", script])
        defer { service.send(SIGKILL) }
        try await service.waitUntilReady(.outputLine(containing: "up "))
        let child = try #require(service.announcedPID)
        #expect(await service.stop(grace: .seconds(10)) == .signal(SIGTERM))
        try await waitUntil("what the shell left is gone") { !ProcessTable.isRunning(child) }
        let timeline = service.timeline
        #expect(timeline.signalled.map(\.signal) == [SIGTERM])
        #expect(timeline.groupSignalled.map(\.signal) == signals)
        // The exit as it happened: before anything its children were sent.
        let exited = try #require(timeline.exited)
        #expect(timeline.groupSignalled.allSatisfy { exited <= $0.at })
    }

    /// A process another thread starts meanwhile (Foundation's `Process` does not close what it
    /// does not know of) must not hold the output pipe open: Accord's end is close-on-exec.
    @Test func theOutputPipeIsCloseOnExecInAccord() async throws {
        let sleeper = try ManagedProcess.launch(["sleep", "30"])
        defer { sleeper.send(SIGKILL) }
        let files = FileManager.default
        let pipe = try files.destinationOfSymbolicLink(atPath: "/proc/\(sleeper.pid)/fd/1")
        let ours = try files.contentsOfDirectory(atPath: "/proc/self/fd").filter {
            (try? files.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == pipe
        }
        #expect(ours.count == 1, "the read end alone: \(pipe)")
        for descriptor in ours {
            let info = try String(contentsOfFile: "/proc/self/fdinfo/\(descriptor)", encoding: .utf8)
            let line = try #require(info.split(separator: "\n").first { $0.hasPrefix("flags:") })
            let flags = try #require(Int32(line.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8))
            #expect(flags & O_CLOEXEC != 0)
        }
    }

    /// A Ctrl-C on a terminal signals Accord's process group: none of its children are in it.
    @Test func aChildRunsInAProcessGroupOfItsOwn() async throws {
        let sleeper = try ManagedProcess.launch(["sleep", "30"])
        defer { sleeper.send(SIGKILL) }
        #expect(getpgid(sleeper.pid) == sleeper.pid)
        #expect(getpgid(sleeper.pid) != getpgid(0))
    }

    /// Accord's own descriptors (here a pipe that is not close-on-exec) stay out of its children.
    @Test func aChildHasOnlyTheThreeStandardDescriptors() async throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        defer { for end in ends { close(end) } }
        let sleeper = try ManagedProcess.launch(["sleep", "30"])
        defer { sleeper.send(SIGKILL) }
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(sleeper.pid)/fd")
        #expect(descriptors.sorted() == ["0", "1", "2"])
    }

    @Test func aServiceThatDiesBeforeReadyFailsAtOnceWithItsOutput() async throws {
        let broken = try ManagedProcess.launch(["sh", "-c", "echo cannot bind >&2; exit 3"])
        await #expect {
            try await broken.waitUntilReady(.port(try LocalPort.free()), timeout: .seconds(20))
        } throws: { error in
            "\(error)".contains("exit code 3") && "\(error)".contains("cannot bind")
        }
    }

    /// A consumer that prints READY and then a backlog of more than the kept 64 KiB is still ready.
    @Test func aReadinessLineBuriedUnderMoreThanTheKeptOutputStillCounts() async throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let go = directory.appendingPathComponent("go")
        let chatty = try ManagedProcess.launch(
            ["sh", "-c", "while [ ! -e \(go.path) ]; do sleep 0.01; done; echo READY; "
                + "head -c 300000 /dev/zero | tr '\\0' x; echo; exec sleep 30"])
        defer { chatty.send(SIGKILL) }
        // Waited for before it is printed, then buried before the wait looks again.
        await #expect(throws: ManagedProcess.NotReady.self) {
            try await chatty.waitUntilReady(.outputLine(containing: "READY"), timeout: .milliseconds(50))
        }
        try Data().write(to: go)
        try await waitUntil("the backlog") { chatty.output.hasSuffix("x\n") }
        #expect(!chatty.output.contains("READY"))
        try await chatty.waitUntilReady(.outputLine(containing: "READY"), timeout: .seconds(1))
    }

    @Test func readinessByPortAndWorkingDirectory() async throws {
        let port = try LocalPort.free()
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try ManagedProcess.launch(
            ["python3", "-c", "import os, socket, time; print(os.getcwd(), flush=True); s = socket.socket(); "
                + "s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(30)"],
            directory: directory)
        try await server.waitUntilReady(.port(port))
        // Printed before the port was bound, but the reader thread may not have taken it in yet.
        try await waitUntil("the working directory is printed") {
            server.output.contains(directory.lastPathComponent)
        }
        #expect(await server.stop(grace: .seconds(5)) == .signal(SIGTERM))
    }

    @Test func readinessByHealthCheckWaitsForA2xx() async throws {
        let port = try LocalPort.free()
        // Python's http.server answers 404 for /healthz until the file exists: not ready until then.
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try ManagedProcess.launch(
            ["python3", "-m", "http.server", "--bind", "127.0.0.1", "\(port)"], directory: directory)
        defer { server.send(SIGKILL) }
        try await server.waitUntilReady(.port(port))
        await #expect(throws: ManagedProcess.NotReady.self) {
            try await server.waitUntilReady(.httpGet(port: port, path: "/healthz"), timeout: .milliseconds(500))
        }
        try Data("ok".utf8).write(to: directory.appendingPathComponent("healthz"))
        try await server.waitUntilReady(.httpGet(port: port, path: "/healthz"), timeout: .seconds(10))
    }

    @Test(arguments: [("TERM", SIGTERM), ("SIGINT", SIGINT), ("sigkill", SIGKILL)])
    func namesSignals(name: String, number: Int32) {
        #expect(SignalName.number(name) == number)
    }
}
