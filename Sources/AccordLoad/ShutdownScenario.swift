import AccordGRPC
import AccordProcess
import AccordReport
import Foundation
import Synchronization

/// A service a profile launches and owns for the run (so it can be signalled).
public struct ServiceSpec: Sendable {
    public var name: String
    public var command: [String]
    public var environment: [String: String]
    /// Commands run here (the profile's folder), so relative paths in them resolve.
    public var directory: URL
    public var readiness: ManagedProcess.Readiness
}

/// The services of a run, launched before the load and stopped after it.
public final class ServiceFleet: Sendable {
    private let specs: [String: ServiceSpec]
    private let running = Mutex<[String: ManagedProcess]>([:])

    public init(_ specs: [ServiceSpec]) {
        self.specs = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Launches every service and waits until each is ready.
    public func start(timeout: Duration = .seconds(60)) async throws {
        for name in specs.keys.sorted() { _ = try await launch(name, timeout: timeout) }
    }

    @discardableResult
    func launch(_ name: String, timeout: Duration = .seconds(60)) async throws -> ManagedProcess {
        let spec = specs[name]!
        let process = try ManagedProcess.launch(spec.command, environment: spec.environment, directory: spec.directory)
        running.withLock { $0[name] = process }
        try await process.waitUntilReady(spec.readiness, timeout: timeout)
        return process
    }

    func process(_ name: String) -> ManagedProcess? { running.withLock { $0[name] } }

    /// Stops what still runs, gracefully (SIGTERM, then SIGKILL after `grace`).
    public func stop(grace: Duration = .seconds(10)) async {
        for process in running.withLock({ Array($0.values) }) { await process.stop(grace: grace) }
    }
}

/// One graceful-shutdown step of a run: at `at`, send `signal` to `service`, wait up to
/// `grace` for it to exit (then SIGKILL), optionally restart it; requests intended from the
/// signal until the service is ready again (or the end) are sorted by how they ended.
public final class ShutdownScenario: Sendable {
    public struct Step: Sendable {
        public var service: String
        public var at: Duration
        public var signal: Int32
        public var grace: Duration
        public var restart: Bool
    }

    public let step: Step
    private let fleet: ServiceFleet
    private let events = Mutex<[(kind: String, at: UInt64, detail: String)]>([])
    private let signalledAt = Mutex<UInt64?>(nil)
    private let exitedAt = Mutex<UInt64?>(nil)

    public init(step: Step, fleet: ServiceFleet) {
        self.step = step
        self.fleet = fleet
    }

    private func record(_ kind: String, _ detail: String = "", at time: UInt64 = MonotonicTime.now()) {
        events.withLock { $0.append((kind, time, detail)) }
    }

    /// Runs beside the load (see `LoadRunner.run(scenario:)`).
    public func run(_ control: LoadRunControl) async {
        let due = control.startNanos + UInt64(step.at.nanoseconds)
        let now = MonotonicTime.now()
        if due > now {
            guard (try? await Task.sleep(nanoseconds: due - now)) != nil else { return }
        }
        guard let process = fleet.process(step.service) else {
            record("error", "service \(step.service) is not running")
            return
        }
        let signalTime = MonotonicTime.now()
        signalledAt.withLock { $0 = signalTime }
        await control.observe(from: signalTime)
        process.send(step.signal)
        record("signal_sent", SignalName.of(step.signal), at: signalTime)
        var exit = await process.waitForExit(timeout: step.grace)
        if exit == nil && !Task.isCancelled {
            record("grace_expired", "no exit within \(step.grace): SIGKILL")
            process.send(SIGKILL)
            exit = await process.waitForExit(timeout: .seconds(5))
        }
        guard let exit, let exited = process.timeline.exited else { return }
        exitedAt.withLock { $0 = exited }
        record("exit", exit.description, at: exited)
        guard step.restart, !Task.isCancelled else { return }
        record("restart")
        do {
            let restarted = try await fleet.launch(step.service)
            let ready = restarted.timeline.ready ?? MonotonicTime.now()
            record("ready", "", at: ready)
            await control.observe(from: signalTime, until: ready)
        } catch {
            record("error", "restart failed: \(error)")
        }
    }

    /// The timeline and the accounting of the requests in the window.
    public func summary(of outcome: LoadOutcome) -> ShutdownSummary {
        var window = LatencyStats()
        for stats in outcome.window { window.add(stats) }
        var refused: UInt64 = 0, failedInFlight: UInt64 = 0, timedOut: UInt64 = 0
        for (kind, count) in window.errors {
            switch Self.classify(kind) {
            case .refused: refused += count
            case .failedInFlight: failedInFlight += count
            case .timedOut: timedOut += count
            case .completed: break
            }
        }
        let start = outcome.startNanos
        let seconds = { (time: UInt64) in Double(Int64(time) - Int64(start)) / 1e9 }
        let signalled = signalledAt.withLock { $0 }, exited = exitedAt.withLock { $0 }
        let drain = signalled.flatMap { signalled in exited.map { Double($0 - signalled) / 1e9 } }
        return ShutdownSummary(
            service: step.service, signal: SignalName.of(step.signal),
            events: events.withLock { $0 }.sorted { $0.at < $1.at }.map {
                ShutdownSummary.Event(second: seconds($0.at), kind: $0.kind, detail: $0.detail)
            },
            completed: window.requests - refused - failedInFlight - timedOut, refusedBeforeProcessing: refused,
            failedInFlight: failedInFlight, timedOut: timedOut, drainSeconds: drain)
    }

    enum Fate { case completed, refused, failedInFlight, timedOut }

    /// How an error kind counts in a shutdown: refused before processing (safe to retry),
    /// failed in flight (accepted, then lost: the defect), timed out, or completed (the
    /// server answered, with whatever status).
    static func classify(_ kind: String) -> Fate {
        switch kind {
        case "refused", "connect_failed", "connect_refused": .refused
        case "connection_lost", "reset_before_response", "reset_during_response", "protocol", "pool_closed": .failedInFlight
        case "timeout": .timedOut
        default: kind.hasPrefix("reset.") ? .failedInFlight : .completed
        }
    }
}
