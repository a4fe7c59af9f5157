import AccordAMQP
import AccordLoad
import AccordProcess
import AccordReport
import AccordSystem
import AccordTestSupport
import Foundation
import NIOPosix
import Synchronization
import Testing

/// A whole profile run through its session: real services the profile launches (a Python HTTP
/// server, shells), a real managed broker, real sockets; every way a run ends stops what it started.
@Suite(.exclusiveMachine) struct ProfileRunSessionTests {
    static let shop = Repository.root.appendingPathComponent("contracts/shop").path

    /// `text` written as `profile.yaml` in `directory` (where its services run) and loaded.
    static func profile(_ text: String, in directory: URL) throws -> LoadProfile {
        let file = directory.appendingPathComponent("profile.yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return try LoadProfile.load(path: file.path)
    }

    /// A session started on a profile that loads `web` (the fixture HTTP server, launched by the
    /// run on a free port) for `seconds`: the session, web's process, and its port.
    static func startWeb(seconds: Int, in directory: URL) async throws -> (ProfileRunSession, ManagedProcess, Int) {
        let server = try #require(Bundle.module.path(forResource: "http_ok", ofType: "py", inDirectory: "Fixtures"))
        let port = FreePort.next()
        let profile = try Self.profile("""
            name: session-web
            stages: [{ rate: 20/s, for: \(seconds)s }]
            mix:
              - { name: page, http: { url: "http://127.0.0.1:\(port)/" } }
            services:
              web: { command: [python3, \(server), "${port}"], port: \(port) }
            limits: { timeout: 5s }
            thresholds: ["errors == 0"]
            """, in: directory)
        let session = try await ProfileRunSession.start(profile, options: Self.options())
        return (session, try #require(session.fleet.process(ReplicaID(service: "web", replica: 0))), port)
    }

    static func options(environment: [String: String] = [:], broker: ManagedBroker.Options = .init())
        -> ProfileRunSession.Options
    {
        ProfileRunSession.Options(
            loops: [MultiThreadedEventLoopGroup.singleton.next()], accordExecutable: Repository.accordBinary,
            environment: environment, broker: broker)
    }

    static let metadata = RunMetadata(
        accordVersion: "test", hostname: "localhost", cores: 1, operatingSystem: "Linux", startedAt: Date(),
        endedAt: Date())

    @Test func aRunAgainstItsOwnServiceCompletesAndStopsIt() async throws {
        guard try ExternalTool.available("python3") else { return }
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (session, web, port) = try await Self.startWeb(seconds: 2, in: directory)
        #expect(web.exit == nil && LocalPort.accepts(port))
        #expect(session.traffic == nil && session.consumers == nil)
        let results = try await session.run()

        #expect(results.outcome.totals[0].requests == 40)
        #expect(results.outcome.totals[0].errorCount == 0)
        #expect(results.interruption == nil && results.messages == nil)
        let summary = results.summary(metadata: Self.metadata)
        #expect(summary.verdict.passed && summary.verdict.exitCode == 0)
        #expect(summary.thresholds.map(\.passed) == [true])
        #expect(web.exit == .signal(SIGTERM), "the teardown stopped the service")
        #expect(!LocalPort.accepts(port))
    }

    @Test func aServiceThatWillNotStartStopsTheOthersAndTheBroker() async throws {
        guard try ExternalTool.available("protoc"), try ExternalTool.available("rabbitmq-server") else { return }
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The mix publishes and no AMQP_URL is given: the session starts a broker, recorded here.
        let brokers = directory.appendingPathComponent("brokers")
        let profile = try Self.profile("""
            name: session-broken
            contracts: \(Self.shop)
            stages: [{ rate: 10/s, for: 1s }]
            mix:
              - publish: order.created
                message: { order_id: "o-${seq}", user_email: "u@example.com", total_cents: 1 }
            services:
              good:
                command: [sh, -c, "echo $$ > good.pid; echo READY; exec sleep 30"]
                ready: { output: READY }
              bad:
                command: [sh, -c, "echo cannot bind >&2; exit 3"]
                ready: { output: READY }
            """, in: directory)

        do {
            let options = Self.options(broker: .init(stateDirectory: brokers))
            _ = try await ProfileRunSession.start(profile, options: options)
            Issue.record("the run started")
        } catch {
            guard case .didNotStart(let file, let failure) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(file == profile.file)
            #expect(failure.service == "bad")
            #expect(failure.location == "\(profile.file):11:3", "where services: names it: \(failure)")
            #expect(failure.reason == "it ended (exit code 3) before it was ready")
            #expect(failure.output == "cannot bind\n")
        }
        // Launched together, the good service was ready before the failure was known, then stopped.
        let pidText = try String(contentsOf: directory.appendingPathComponent("good.pid"), encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!ProcessTable.isRunning(pid))
        // A broker was started (its record's folder exists) and stopped (no record left).
        let records = try FileManager.default.contentsOfDirectory(atPath: brokers.path)
        #expect(records.filter { $0.hasSuffix(".json") }.isEmpty, "\(records)")
    }

    @Test func aTargetThatRefusesTheConnectionIsNamedWhereTheProfileDeclaresIt() async throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = FreePort.next()
        let profile = try Self.profile("""
            name: session-refused
            stages: [{ rate: 10/s, for: 1s }]
            mix:
              - { name: page, http: { url: "http://127.0.0.1:\(port)/" } }
            """, in: directory)
        let session = try await ProfileRunSession.start(profile, options: Self.options())
        do {
            _ = try await session.run()
            Issue.record("the run began")
        } catch {
            guard case .cannotConnect(_, let entry, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(entry?.hasPrefix("\(profile.file):4:") == true, "\(error)")
            #expect("\(error)".contains("page cannot connect: 127.0.0.1:\(port): connection refused"), "\(error)")
        }
    }

    @Test func aSessionStoppedWithoutARunStopsItsServices() async throws {
        guard try ExternalTool.available("python3") else { return }
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (session, web, port) = try await Self.startWeb(seconds: 60, in: directory)
        await session.stop()
        #expect(web.exit == .signal(SIGTERM))
        #expect(!LocalPort.accepts(port))
        await session.stop()  // once is what counts: a second stop finds nothing left to do
    }

    @Test func cancelledDuringTheLoadItEndsEarlyAndStillSummarises() async throws {
        guard try ExternalTool.available("python3") else { return }
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (session, web, _) = try await Self.startWeb(seconds: 60, in: directory)

        let seconds = Mutex(0)
        let run = Task { try await session.run { _ in seconds.withLock { $0 += 1 } } }
        try await waitUntil("a second of load") { seconds.withLock { $0 } > 0 }
        run.cancel()
        let results = try await run.value

        #expect(results.outcome.interrupted)
        #expect(results.outcome.totals[0].requests > 0)
        let interruption = try #require(results.interruption)
        #expect(interruption.hasPrefix("interrupted after ") && interruption.hasSuffix(" of 60 s"), "\(interruption)")
        let summary = results.summary(metadata: Self.metadata)
        // Thresholds are still evaluated; the run, partial, does not pass.
        #expect(summary.thresholds.map(\.actual) == [0])
        #expect(summary.verdict.exitCode == 2 && !summary.verdict.passed)
        #expect(summary.verdict.notes.contains("the run was \(interruption): figures cover only the time it ran"))
        #expect(web.exit == .signal(SIGTERM), "the teardown stopped the service")
    }

    @Test func cancelledWhileStartingItStopsWhatHadStarted() async throws {
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = try Self.profile("""
            name: session-slow
            stages: [{ rate: 10/s, for: 1s }]
            mix:
              - { http: { url: "http://127.0.0.1:9/" } }
            services:
              slow:
                command: [sh, -c, "echo $$ > slow.pid; exec sleep 30"]
                ready: { output: never printed }
            """, in: directory)
        let pidFile = directory.appendingPathComponent("slow.pid")

        let start = Task { try await ProfileRunSession.start(profile, options: Self.options()) }
        try await waitUntil("the service to be launched") {
            (try? String(contentsOf: pidFile, encoding: .utf8))?.hasSuffix("\n") == true
        }
        start.cancel()
        do {
            _ = try await start.value
            Issue.record("the run started")
        } catch let error as ProfileRunError {
            #expect("\(error)" == "\(profile.file): interrupted before the run began")
        }
        let pid = try #require(Int32(try String(contentsOf: pidFile, encoding: .utf8).dropLast()))
        #expect(!ProcessTable.isRunning(pid))
    }
}
