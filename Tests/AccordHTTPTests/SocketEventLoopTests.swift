@testable import AccordHTTP
import Dispatch
import NIOCore
import Synchronization
import Testing

/// A lost wakeup would leave a test waiting: the time limit makes it fail instead.
@Suite(.timeLimit(.minutes(1))) struct SocketEventLoopTests {
    /// Appends from the loop only; read back through the loop.
    final class Log: @unchecked Sendable {
        var entries: [String] = []
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    @Test func runsTasksOnItsThreadInTheOrderTheyWereQueued() async throws {
        let loop = SocketEventLoop()
        let log = Log()
        #expect(!loop.inEventLoop)
        for number in 0..<100 {
            loop.execute {
                loop.preconditionInEventLoop()
                log.entries.append("\(number)")
            }
        }
        let entries = try await loop.submit { log.entries }.get()
        #expect(entries == (0..<100).map(String.init))
        await loop.shutdown()
    }

    @Test func runsTimersByDeadlineAndTiesInTheOrderTheyWereScheduled() async throws {
        let loop = SocketEventLoop()
        let log = Log()
        let base = NIODeadline.now() + .milliseconds(30)
        let all = try await loop.submit { () -> [EventLoopFuture<Void>] in
            [("c", 20), ("a", 0), ("b", 10), ("b2", 10)].map { name, offset in
                let deadline = base + .milliseconds(Int64(offset))
                return loop.scheduleTask(deadline: deadline) { log.entries.append(name) }.futureResult
            }
        }.get()
        try await EventLoopFuture.andAllSucceed(all, on: loop).get()
        #expect(NIODeadline.now() >= base + .milliseconds(20))
        #expect(try await loop.submit { log.entries }.get() == ["a", "b", "b2", "c"])
        await loop.shutdown()
    }

    /// Scheduled from off the loop, the timer goes in through the loop's inbox, which wakes it from
    /// its wait; it runs no earlier than its deadline.
    @Test func aTimerScheduledFromAnotherThreadWakesTheLoop() async throws {
        let loop = SocketEventLoop()
        let scheduled = NIODeadline.now()
        let ran = try await loop.scheduleTask(in: .microseconds(200)) { NIODeadline.now() }.futureResult.get()
        #expect(ran >= scheduled + .microseconds(200))
        await loop.shutdown()
    }

    @Test func aCancelledTimerFailsItsPromiseAndDoesNotRun() async throws {
        let loop = SocketEventLoop()
        let ran = Counter()
        let scheduled = loop.scheduleTask(in: .milliseconds(300)) { ran.value.add(1, ordering: .relaxed) }
        scheduled.cancel()
        await #expect(throws: EventLoopError.cancelled) { try await scheduled.futureResult.get() }
        try await loop.scheduleTask(in: .milliseconds(500)) {}.futureResult.get()
        let runs = ran.value.load(ordering: .relaxed)
        #expect(runs == 0)
        await loop.shutdown()
    }

    @Test func shutdownRunsWhatIsQueuedAndFailsPendingTimers() async throws {
        let loop = SocketEventLoop()
        let log = Log()
        let pending = loop.scheduleTask(in: .seconds(60)) {}
        // Registered before the shutdown: a stopped loop runs no more callbacks.
        pending.futureResult.whenFailure { log.entries.append("\($0)") }
        loop.execute { log.entries.append("queued") }
        await loop.shutdown()
        #expect(log.entries == ["queued", "\(EventLoopError.shutdown)"])
        // A second shutdown answers at once.
        await loop.shutdown()
    }

    @Test func tasksFromManyThreadsAllRun() async throws {
        let loop = SocketEventLoop()
        let count = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 { loop.execute { count.value.add(1, ordering: .relaxed) } }
                }
            }
        }
        try await loop.submit {}.get()
        let ran = count.value.load(ordering: .relaxed)
        #expect(ran == 8000)
        await loop.shutdown()
    }

    /// Connections still open when the loop stops are closed as their own closes: nothing is
    /// reported as the peer's doing, and the stop does not wait for them.
    @Test func stoppingClosesTheConnectionsStillOpenAsTheirOwnCloses() async throws {
        try await TestServer.with { _, port in
            let loop = SocketEventLoop()
            let target = try HTTPTarget(host: "127.0.0.1", port: port)
            let events = Log()
            let answered = try await loop.flatSubmit { () -> EventLoopFuture<HTTPClientExchange> in
                let pool = HTTPConnectionPool(target: target, eventLoop: loop)
                pool.onEvent = { events.entries.append("\($0.kind)") }
                return pool.execute(HTTPClientRequest(path: "/hello", authority: target.authority))
            }.get()
            #expect(try answered.result.get().status == 200)
            await loop.shutdown()
            #expect(events.entries == ["connected"])
        }
    }
}
