import AccordContracts
import AccordProcess
import Logging

/// A service of a fleet to start: how long its processes get to become ready, and where it is
/// declared, for the message when one does not.
public struct ServiceStart: Sendable, Hashable {
    public var service: String
    /// `contracts/shop/system.yaml:12`, or the line of a load profile's `services:` entry.
    public var location: String?
    public var readyTimeout: Duration

    public init(service: String, location: String?, readyTimeout: Duration) {
        self.service = service
        self.location = location
        self.readyTimeout = readyTimeout
    }

    /// Each service `plan` launches, at its declaration in `system`, with its own ready timeout.
    public static func starts(of plan: SystemPlan, in system: ContractSystem) -> [ServiceStart] {
        plan.launches.filter { $0.replica == 0 }.map { launch in
            ServiceStart(service: launch.service, location: system.display(launch.location),
                         readyTimeout: launch.readyTimeout)
        }
    }
}

extension ServiceFleet {
    /// Launches every replica of `services` at once, then waits for them all; throws the first that
    /// is not ready, with what it printed. Stopping what did start is the caller's (`stop`).
    public func launchAll(_ services: [ServiceStart], logger: Logger = Logger(label: "accord.system"))
        async throws(SystemStartError)
    {
        var launched: [(ServiceStart, ReplicaID, ManagedProcess)] = []
        for service in services {
            for id in replicas(of: service.service) {
                do {
                    let process = try spawn(id)
                    logger.debug("launched", metadata: ["service": "\(id.service)", "replica": "\(id.replica)",
                                                        "pid": "\(process.pid)"])
                    launched.append((service, id, process))
                } catch {
                    throw failure(service, id, "\(error)", output: "")
                }
            }
        }
        let failures = await withTaskGroup(of: SystemStartError?.self) { group in
            for (service, id, process) in launched {
                group.addTask { await self.waitUntilReady(service, id, process, logger: logger) }
            }
            var failures: [SystemStartError] = []
            for await case let failure? in group { failures.append(failure) }
            return failures
        }
        if let first = failures.first { throw first }
    }

    private func waitUntilReady(
        _ service: ServiceStart, _ id: ReplicaID, _ process: ManagedProcess, logger: Logger
    ) async -> SystemStartError? {
        do {
            try await waitUntilReady(id, timeout: service.readyTimeout)
            logger.info("ready", metadata: ["service": "\(id.service)", "replica": "\(id.replica)"])
            return nil
        } catch is ManagedProcess.NotReady {
            let reason = process.exit.map { "it ended (\($0)) before it was ready" }
                ?? "not ready after \(service.readyTimeout)"
            return failure(service, id, reason, output: process.output)
        } catch {
            return failure(service, id, "\(error)", output: process.output)
        }
    }

    private func failure(
        _ service: ServiceStart, _ id: ReplicaID, _ reason: String, output: String
    ) -> SystemStartError {
        let replica = replicas(of: id.service).count > 1 ? " (replica \(id.replica))" : ""
        return SystemStartError(service: id.service + replica, location: service.location, reason: reason,
                                output: output)
    }
}
