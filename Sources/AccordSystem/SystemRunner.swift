import AccordAMQP
import AccordContracts
import AccordDocuments
import AccordProcess
import Foundation
import Logging

/// A service that would not start: which one, where it is declared, why, and what it printed.
public struct SystemStartError: Error, Sendable, CustomStringConvertible {
    public let service: String?
    /// `contracts/shop/system.yaml:12`
    public let location: String?
    public let reason: String
    public let output: String

    public var description: String {
        var text = location.map { "\($0): " } ?? ""
        text += service.map { "service \($0): " } ?? ""
        text += reason
        let tail = output.split(separator: "\n").suffix(20).joined(separator: "\n  ")
        if !tail.isEmpty { text += "\n  " + tail }
        return text
    }
}

/// Runs a system: the broker it needs (unless one is given), then every `run: reference` and
/// `run: command` service as its own process on loopback ports, each waited for until ready.
/// Its fleet owns the processes: `stop` ends them gracefully, and they die with the runner otherwise.
public final class SystemRunner: Sendable {
    public struct Options: Sendable {
        public var reference: SystemPlan.Reference
        /// A broker to use; when nil and the system has events, a managed broker is started.
        public var amqpURL: String?
        /// Each line a service prints, with the service's name (for `accord serve DIR`).
        public var onLine: (@Sendable (_ service: String, _ line: String) -> Void)?

        public init(reference: SystemPlan.Reference, amqpURL: String? = nil,
                    onLine: (@Sendable (_ service: String, _ line: String) -> Void)? = nil) {
            self.reference = reference
            self.amqpURL = amqpURL
            self.onLine = onLine
        }
    }

    public let system: ContractSystem
    public let plan: SystemPlan
    /// The processes of the plan's launches, by replica.
    public let fleet: ServiceFleet
    private let broker: ManagedBroker?
    private let logger = Logger(label: "accord.system")

    private init(system: ContractSystem, plan: SystemPlan, broker: ManagedBroker?,
                 onLine: (@Sendable (_ service: String, _ line: String) -> Void)?) {
        self.system = system
        self.plan = plan
        self.broker = broker
        var observers: [String: ServiceFleet.LineObserver] = [:]
        if let onLine {
            for launch in plan.launches {
                observers[launch.service] = { id, line in
                    onLine(id.replica == 0 ? id.service : "\(id.service)#\(id.replica)", line)
                }
            }
        }
        self.fleet = ServiceFleet(ServiceSpec.specs(of: plan), lineObservers: observers)
    }

    /// Where every service listens (and the broker's URL).
    public var directory: ServiceDirectory { plan.directory }

    /// Starts the system; on any failure, stops what it started and throws.
    public static func start(_ system: ContractSystem, options: Options) async throws(SystemStartError) -> SystemRunner {
        var broker: ManagedBroker?
        var amqpURL = options.amqpURL
        if amqpURL == nil && SystemPlan.needsBroker(system) {
            do {
                let managed = try await ManagedBroker.start()
                broker = managed
                amqpURL = managed.endpoint.url
            } catch {
                throw SystemStartError(service: nil, location: system.display(system.location),
                                       reason: "the system has events and no AMQP_URL is set, and a broker "
                                           + "could not be started: \(error)", output: "")
            }
        }
        let plan: SystemPlan
        do {
            plan = try SystemPlan(system: system, reference: options.reference, amqpURL: amqpURL) {
                try LocalPort.free()
            }
        } catch {
            await broker?.stop()
            throw SystemStartError(service: nil, location: nil, reason: "\(error)", output: "")
        }
        let runner = SystemRunner(system: system, plan: plan, broker: broker, onLine: options.onLine)
        do {
            try await runner.launchAll()
        } catch {
            await runner.stop(grace: .seconds(5))
            throw error
        }
        return runner
    }

    /// Launches every process, then waits for them all at once; throws the first that is not ready.
    private func launchAll() async throws(SystemStartError) {
        var launched: [(ProcessLaunch, ManagedProcess)] = []
        for launch in plan.launches { launched.append((launch, try spawn(launch))) }
        let results = await withTaskGroup(of: SystemStartError?.self) { group in
            for (launch, process) in launched {
                group.addTask { await self.waitUntilReady(launch, process) }
            }
            var failures: [SystemStartError] = []
            for await case let failure? in group { failures.append(failure) }
            return failures
        }
        if let first = results.first { throw first }
    }

    private func spawn(_ launch: ProcessLaunch) throws(SystemStartError) -> ManagedProcess {
        do {
            let process = try fleet.spawn(launch.id)
            logger.debug("launched", metadata: ["service": "\(launch.service)", "replica": "\(launch.replica)",
                                                "pid": "\(process.pid)"])
            return process
        } catch {
            throw failure(launch, "\(error)", output: "")
        }
    }

    private func waitUntilReady(_ launch: ProcessLaunch, _ process: ManagedProcess) async -> SystemStartError? {
        do {
            try await fleet.waitUntilReady(launch.id, timeout: launch.readyTimeout)
            logger.info("ready", metadata: ["service": "\(launch.service)", "replica": "\(launch.replica)"])
            return nil
        } catch is ManagedProcess.NotReady {
            let reason = process.exit.map { "it ended (\($0)) before it was ready" }
                ?? "not ready after \(launch.readyTimeout)"
            return failure(launch, reason, output: process.output)
        } catch {
            return failure(launch, "\(error)", output: process.output)
        }
    }

    private func failure(_ launch: ProcessLaunch, _ reason: String, output: String) -> SystemStartError {
        let replica = launch.replica > 0 || plan.launches.contains { $0.service == launch.service && $0.replica > 0 }
            ? " (replica \(launch.replica))" : ""
        return SystemStartError(service: launch.service + replica, location: system.display(launch.location),
                                reason: reason, output: output)
    }

    /// Ends every process gracefully (SIGTERM, then SIGKILL after `grace`), all at once, then the
    /// managed broker.
    public func stop(grace: Duration = .seconds(10)) async {
        await fleet.stop(grace: grace)
        await broker?.stop()
    }
}
