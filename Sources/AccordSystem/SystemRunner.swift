import AccordAMQP
import AccordContracts

/// A service that would not start: which one, where it is declared, why, and what it printed.
public struct SystemStartError: Error, Sendable, CustomStringConvertible {
    public let service: String?
    /// `contracts/shop/system.yaml:12`
    public let location: String?
    public let reason: String
    public let output: String

    public init(service: String?, location: String?, reason: String, output: String) {
        self.service = service
        self.location = location
        self.reason = reason
        self.output = output
    }

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
    public static func start(_ system: ContractSystem, options: Options) async throws(SystemStartError)
        -> SystemRunner
    {
        let prepared = try await PreparedSystem.prepare(
            system, reference: options.reference, amqpURL: options.amqpURL,
            brokerNeed: SystemPlan.needsBroker(system) ? "the system has events" : nil)
        let runner = SystemRunner(system: system, plan: prepared.plan, broker: prepared.broker, onLine: options.onLine)
        do {
            try await runner.fleet.launchAll(ServiceStart.starts(of: prepared.plan, in: system))
        } catch {
            await runner.stop(grace: .seconds(5))
            throw error
        }
        return runner
    }

    /// Ends every process gracefully (SIGTERM, then SIGKILL after `grace`), all at once, then the
    /// managed broker.
    public func stop(grace: Duration = .seconds(10)) async {
        await fleet.stop(grace: grace)
        await broker?.stop()
    }
}
