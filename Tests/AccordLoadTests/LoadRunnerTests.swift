import AccordGRPC
import AccordHTTP
import AccordJSON
import AccordLoad
import AccordTestSupport
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The load generator against a real gRPC server on loopback.
@Suite(.exclusiveMachine) struct LoadRunnerTests {
    /// A server whose one method answers at once, except during a stall every call waits it out.
    enum StallingServer {
        static func make() -> (GRPCServer, @Sendable (Duration) -> Void) {
            let stallUntil = Mutex<ContinuousClock.Instant?>(nil)
            let server = GRPCServer(handlers: [
                "/t.Stall/Call": .unary { _, request in
                    if let until = stallUntil.withLock({ $0 }), ContinuousClock.now < until {
                        try await Task.sleep(until: until)
                    }
                    return request
                }
            ])
            return (server, { length in stallUntil.withLock { $0 = .now + length } })
        }
    }

    static func interaction(port: Int) -> GRPCUnaryInteraction {
        GRPCUnaryInteraction(name: "stall", port: port, path: "/t.Stall/Call", payload: { _ in ByteBuffer(bytes: [8, 1]) })
    }

    static func p999ms(_ stats: LatencyStats, corrected: Bool = true) -> Double {
        Double((corrected ? stats.corrected : stats.service).valueAtPercentile(99.9)) / 1000
    }

    @Test func openModelSeesAStallThatTheClosedModelHides() async throws {
        let (server, stall) = StallingServer.make()
        let port = try await server.start()
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
        let runner = LoadRunner()

        let stallOnce = { @Sendable in
            try? await Task.sleep(for: .seconds(1))
            stall(.milliseconds(600))
        }
        async let openStall: Void = stallOnce()
        let open = try await runner.run(
            LoadPlan(model: .open([RateStage(rate: 1000, for: .seconds(3))]), mix: [.init(Self.interaction(port: port))]),
            on: loops)
        await openStall
        async let closedStall: Void = stallOnce()
        let closed = try await runner.run(
            LoadPlan(model: .closed(users: 2, duration: .seconds(3)), mix: [.init(Self.interaction(port: port))]),
            on: loops)
        await closedStall
        await server.shutdown(grace: .seconds(1))

        let openStats = open.totals[0], closedStats = closed.totals[0]
        #expect(openStats.requests == 3000)
        #expect(openStats.errorCount == 0)
        #expect(Self.p999ms(openStats) >= 500, "open p99.9 \(Self.p999ms(openStats)) ms")
        // Both histograms exist; service time (from the actual send) is never above the corrected one.
        #expect(openStats.service.totalCount == openStats.corrected.totalCount)
        #expect(openStats.service.max <= openStats.corrected.max)
        // Every arrival the open schedule had in the stall's first 100 ms waited 500 ms or more; the
        // closed model's users had one request each open then, and sent nothing else until it ended.
        let stalled: ClosedRange<UInt64> = 500_000...UInt64.max  // microseconds
        #expect(openStats.corrected.count(within: stalled) >= 50)
        #expect((1...2).contains(closedStats.corrected.count(within: stalled)))
        // So, with over a thousand requests per user, the closed p99.9 stays below the stall.
        try #require(closedStats.requests > 2000, "too few closed requests for p99.9 to leave out two")
        #expect(Self.p999ms(closedStats) < 500, "closed p99.9 \(Self.p999ms(closedStats)) ms")
    }

    @Test func holdsTheIntendedRate() async throws {
        let (server, _) = StallingServer.make()
        let port = try await server.start()
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
        let outcome = try await LoadRunner().run(
            LoadPlan(model: .open([RateStage(rate: 2000, for: .seconds(5))]), mix: [.init(Self.interaction(port: port))]),
            on: loops)
        await server.shutdown(grace: .seconds(1))
        let sent = outcome.generator.sent
        #expect(sent == 10_000)
        #expect(outcome.totals[0].requests == 10_000)
        #expect(outcome.totals[0].errorCount == 0)
        // Sends per second follow the schedule within 2%, unless the generator itself reports
        // that it fell behind (late sends), which is what a starved machine must show.
        let cumulative = outcome.intervals.map(\.generator.sent)
        let perSecond = zip(cumulative, [0] + cumulative).map { $0 - $1 }.prefix(5)
        let onSchedule = perSecond.allSatisfy { $0 >= 1960 && $0 <= 2040 }
        let reportedBehind = Double(outcome.generator.late) / Double(sent) >= 0.02
        #expect(onSchedule || reportedBehind, "sent per second: \(Array(perSecond)), late: \(outcome.generator.late)")
    }

    /// A window opened before the first second closes: what ended before it is steady state, the
    /// rest is in the window, and no request is in neither.
    @Test func whatEndedBeforeTheFirstWindowIsSteadyEvenWithinTheFirstSecond() async throws {
        let (server, _) = StallingServer.make()
        let port = try await server.start()
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
        let plan = LoadPlan(
            model: .open([RateStage(rate: 200, for: .seconds(2))]), mix: [.init(Self.interaction(port: port))])
        let outcome = try await LoadRunner().run(
            plan, on: loops,
            scenario: { control in
                let due = control.startNanos + 500_000_000
                let now = MonotonicTime.now()
                if due > now { try? await Task.sleep(nanoseconds: due - now) }
                await control.observe(window: 0, from: MonotonicTime.now())
            })
        await server.shutdown(grace: .seconds(1))
        #expect(outcome.totals[0].requests == 400)
        #expect(outcome.steady[0].requests > 0)
        #expect(outcome.steady[0].requests + outcome.drain[0].requests == outcome.totals[0].requests)
    }

    @Test func stopsEarlyOnCancellationAndKeepsWhatItMeasured() async throws {
        let (server, _) = StallingServer.make()
        let port = try await server.start()
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
        let seen = Mutex<UInt64>(0)
        let run = Task {
            try await LoadRunner().run(
                LoadPlan(model: .open([RateStage(rate: 500, for: .seconds(60))]), mix: [.init(Self.interaction(port: port))]),
                on: loops
            ) { interval in seen.withLock { $0 += interval.stats[0].requests } }
        }
        // Cancel once results have come in, however slow the machine is.
        try await waitUntil("some results", timeout: .seconds(60)) { seen.withLock { $0 } > 0 }
        run.cancel()
        let outcome = try await run.value
        await server.shutdown(grace: .seconds(1))
        #expect(outcome.interrupted)
        // Everything seen in intervals is in the totals, and the run stopped long before its 60 s.
        #expect(outcome.totals[0].requests >= seen.withLock { $0 })
        #expect(outcome.totals[0].requests < 30_000)
        #expect(outcome.elapsed < .seconds(30))
    }

    /// Requests whose payload cannot be built end inside the driver's `start`: the closed model's
    /// users must still take turns through the loop, not recurse until the stack runs out.
    @Test func aClosedRunWhoseRequestsAllFailBeforeSendingCountsThemAndEnds() async throws {
        var router = HTTPRouter()
        try router.add(.GET, "/never") { _ in .json(["sent": true]) }
        let server = HTTPServer(router: router, logger: Logger(label: "accord.test.http"))
        let target = try HTTPTarget(host: "127.0.0.1", port: try await server.start().port ?? 0)
        let unbuildable = HTTPInteraction(
            name: "unbuildable", targets: [target], connectionsPerWorker: 1, timeout: .seconds(2),
            expectedStatus: nil, onSuccess: nil, request: { _ in .failure(.noCapture) })
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
        let outcome = try await LoadRunner().run(
            LoadPlan(model: .closed(users: 4, duration: .seconds(1)), mix: [.init(unbuildable)]), on: loops)
        await server.shutdown()
        let stats = outcome.totals[0]
        #expect(!outcome.interrupted)
        #expect(stats.requests > 10_000, "\(stats.requests) requests")
        #expect(stats.errors == ["no_capture": stats.requests])
    }

    /// Records the kind of loop each worker's driver was made on, and answers at once.
    struct LoopProbe: LoadInteraction {
        final class Driver: LoadInteractionDriver {
            let eventLoop: EventLoop
            init(eventLoop: EventLoop) { self.eventLoop = eventLoop }
            func connect() -> EventLoopFuture<Void> { eventLoop.makeSucceededVoidFuture() }
            func start(sequence: UInt64, done: RequestCompletion) {
                let now = MonotonicTime.now()
                eventLoop.assumeIsolated().execute { done(RequestOutcome(error: nil, sentAt: now, endedAt: now)) }
            }
            func close() -> EventLoopFuture<Void> { eventLoop.makeSucceededVoidFuture() }
        }

        final class Seen: Sendable {
            let kinds = Mutex<[String]>([])
        }

        let name: String
        let runsOnSocketEventLoop: Bool
        let loops = Seen()

        func makeDriver(on eventLoop: EventLoop) -> any LoadInteractionDriver {
            loops.kinds.withLock { $0.append(eventLoop is SocketEventLoop ? "socket" : "nio") }
            return Driver(eventLoop: eventLoop)
        }
    }

    /// A mix of interactions that all run on Accord's own loops (HTTP alone) works on socket loops
    /// made for the run, one per loop given; one that needs NIO keeps the whole mix on NIO's.
    @Test(arguments: [([true, true], "socket"), ([true, false], "nio")])
    func aMixThatAllRunsOnSocketLoopsWorksOnThem(socketCapable: [Bool], expected: String) async throws {
        let probes = socketCapable.enumerated().map { index, capable in
            LoopProbe(name: "probe-\(index)", runsOnSocketEventLoop: capable)
        }
        let loops = Array(MultiThreadedEventLoopGroup.singleton.makeIterator().prefix(2))
        let outcome = try await LoadRunner().run(
            LoadPlan(model: .closed(users: 2, duration: .milliseconds(300)), mix: probes.map { .init($0) }),
            on: loops)
        for probe in probes {
            #expect(probe.loops.kinds.withLock { $0 } == Array(repeating: expected, count: loops.count))
        }
        #expect(outcome.totals.reduce(0) { $0 + $1.requests } > 0)
    }

    /// A run keeps each second as interval-log lines, not histograms: decoded by Python's `hdrh`,
    /// they hold every request the run counted, with its percentiles.
    @Test func theSecondsItKeepsMakeAnIntervalLogWithEveryRequest() async throws {
        guard try ExternalTool.pythonModuleAvailable("hdrh") else { return }
        let (server, _) = StallingServer.make()
        let port = try await server.start()
        let loops = MultiThreadedEventLoopGroup.singleton.makeIterator().map { $0 }
        let outcome = try await LoadRunner().run(
            LoadPlan(model: .open([RateStage(rate: 500, for: .seconds(3))]), mix: [.init(Self.interaction(port: port))]),
            on: loops)
        await server.shutdown(grace: .seconds(1))
        var writer = IntervalLogWriter(startTime: outcome.startedAt)
        for interval in outcome.intervals {
            for line in try interval.logLines.get() { writer.append(line) }
        }
        let directory = try Repository.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let log = directory.appendingPathComponent("latency.hlog")
        try writer.write(to: log)
        let reader = try #require(Bundle.module.path(forResource: "read_hlog", ofType: "py", inDirectory: "Fixtures"))
        let result = try ChildProcess.run(["python3", reader, log.path])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try JSONParser.parse(result.stdout)["stall"]
        let total = outcome.totals[0].corrected
        #expect(total.totalCount == 1500)
        #expect(decoded?["count"] == .number(JSONNumber(total.totalCount)))
        let theirP99 = decoded?["p99"]?.numberValue?.uint64Value ?? 0
        #expect(total.valuesAreEquivalent(theirP99, total.valueAtPercentile(99)), "p99 \(theirP99)")
        // The timeline's seconds add up to the same requests.
        #expect(outcome.intervals.reduce(0) { $0 + $1.samples[0].count } == total.totalCount)
    }
}
