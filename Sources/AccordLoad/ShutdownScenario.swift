import AccordGRPC
import AccordProcess
import AccordSystem
import Foundation
import Synchronization

/// The graceful-shutdown steps of a run (one, or a rolling restart): at each step's time, send
/// its signal to one replica of a service (or to every replica), wait up to `grace` for the
/// exit (then SIGKILL), optionally restart and wait until ready. Steps run in order, each no
/// earlier than its `at`, and never before the previous one has finished (ready again), as a
/// rolling restart does. Each step opens a window of the run: requests still open at the
/// signal, or sent until the service is ready again (or the run ends), are sorted by how they
/// ended (`summary(of:)`).
public final class ShutdownScenario: Sendable {
    public struct Step: Sendable, Hashable {
        public var service: String
        /// One replica (0-based); nil signals every replica of the service at once.
        public var replica: Int?
        public var at: Duration
        public var signal: Int32
        public var grace: Duration
        public var restart: Bool

        public init(
            service: String, replica: Int? = nil, at: Duration, signal: Int32 = SIGTERM,
            grace: Duration = .seconds(10), restart: Bool = false
        ) {
            self.service = service
            self.replica = replica
            self.at = at
            self.signal = signal
            self.grace = grace
            self.restart = restart
        }
    }

    /// A timeline entry the scenario itself records (connection events come from the log).
    struct Record: Sendable {
        var kind: String
        var at: UInt64
        var detail: String
        var step: Int
        var replica: ReplicaID?
    }

    /// When a step's signal went out, its targets exited, and were ready again.
    struct StepTimes: Sendable {
        var signalled: UInt64?
        var exited: UInt64?
        var ready: UInt64?
    }

    /// A signal a step sent to one process: a consumer's messages in hand at that moment are
    /// those that process had received and not settled.
    public struct SentSignal: Sendable, Hashable {
        public var replica: ReplicaID
        /// Monotonic ns.
        public var at: UInt64
        /// When the signalled process was launched (monotonic ns).
        public var launched: UInt64
    }

    public let steps: [Step]
    let fleet: ServiceFleet
    let connections: ConnectionEventLog
    let records = Mutex<[Record]>([])
    private let sent = Mutex<[SentSignal]>([])
    let times: Mutex<[StepTimes]>

    /// `connections` is the log the run's interactions feed (see `ProfileRun.plan`).
    public init(steps: [Step], fleet: ServiceFleet, connections: ConnectionEventLog) {
        self.steps = steps
        self.fleet = fleet
        self.connections = connections
        self.times = Mutex(Array(repeating: StepTimes(), count: steps.count))
    }

    private func record(
        _ kind: String, _ detail: String = "", step: Int, replica: ReplicaID? = nil,
        at time: UInt64 = MonotonicTime.now()
    ) {
        records.withLock { $0.append(Record(kind: kind, at: time, detail: detail, step: step, replica: replica)) }
    }

    /// Every signal the steps sent so far, in order.
    public var signalsSent: [SentSignal] { sent.withLock { $0 } }

    /// Runs beside the load (see `LoadRunner.run(scenario:)`).
    public func run(_ control: LoadRunControl) async {
        for (index, step) in steps.enumerated() {
            let due = control.startNanos + UInt64(step.at.nanoseconds)
            let now = MonotonicTime.now()
            if due > now {
                guard (try? await Task.sleep(nanoseconds: due - now)) != nil else { return }
            }
            guard !Task.isCancelled else { return }
            await perform(step, index: index, control: control)
        }
    }

    private func perform(_ step: Step, index: Int, control: LoadRunControl) async {
        let targets = (step.replica.map { [ReplicaID(service: step.service, replica: $0)] }
            ?? fleet.replicas(of: step.service)).compactMap { id in fleet.process(id).map { (id, $0) } }
        guard !targets.isEmpty else {
            record("error", "\(step.service) is not running", step: index)
            return
        }
        // The window opens just before the signal, so no request the signal could touch escapes it.
        let windowStart = MonotonicTime.now()
        connections.arm(at: windowStart)
        await control.observe(window: index, from: windowStart)
        for (id, process) in targets {
            process.send(step.signal)
            let sent = process.timeline.signalled.last?.at ?? MonotonicTime.now()
            times.withLock { $0[index].signalled = $0[index].signalled ?? sent }
            let detail = "\(SignalName.of(step.signal)) to pid \(process.pid)"
            record("signal_sent", detail, step: index, replica: id, at: sent)
            self.sent.withLock {
                $0.append(SentSignal(replica: id, at: sent, launched: process.timeline.launched))
            }
        }
        let exits = await withTaskGroup(of: UInt64?.self) { group in
            for (id, process) in targets {
                group.addTask { await self.awaitExit(of: process, id, step: step, index: index) }
            }
            return await group.reduce(into: [UInt64?]()) { $0.append($1) }
        }
        guard let lastExit = exits.compactMap({ $0 }).max(), exits.allSatisfy({ $0 != nil }) else { return }
        times.withLock { $0[index].exited = lastExit }
        await control.exited(window: index, at: lastExit)
        guard step.restart, !Task.isCancelled else { return }
        let readyTimes = await withTaskGroup(of: UInt64?.self) { group in
            for (id, _) in targets { group.addTask { await self.restart(id, index: index) } }
            return await group.reduce(into: [UInt64?]()) { $0.append($1) }
        }
        if let lastReady = readyTimes.compactMap({ $0 }).max(), readyTimes.allSatisfy({ $0 != nil }) {
            times.withLock { $0[index].ready = lastReady }
            await control.observe(window: index, from: windowStart, until: lastReady)
        }
    }

    /// Waits for `process` to exit, SIGKILLs it after the grace period; its exit time, or nil.
    private func awaitExit(of process: ManagedProcess, _ id: ReplicaID, step: Step, index: Int) async -> UInt64? {
        var exit = await process.waitForExit(timeout: step.grace)
        if exit == nil && !Task.isCancelled {
            record("grace_expired", "no exit within \(step.grace): SIGKILL", step: index, replica: id)
            process.send(SIGKILL)
            exit = await process.waitForExit(timeout: .seconds(5))
        }
        guard let exit, let exited = process.timeline.exited else { return nil }
        record("exit", exit.description, step: index, replica: id, at: exited)
        return exited
    }

    /// Relaunches `id` and waits until it is ready; when it was, or nil.
    private func restart(_ id: ReplicaID, index: Int) async -> UInt64? {
        record("restart", step: index, replica: id)
        do {
            let process = try await fleet.launch(id)
            let ready = process.timeline.ready ?? MonotonicTime.now()
            record("ready", "pid \(process.pid)", step: index, replica: id, at: ready)
            return ready
        } catch {
            let reason = Task.isCancelled ? "the run ended before it was ready" : "restart failed: \(error)"
            record("error", reason, step: index, replica: id)
            return nil
        }
    }
}
