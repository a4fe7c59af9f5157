import AccordAMQP
import AccordContracts
import AccordProcess

/// A system ready to launch: its plan (ports chosen, so every service knows where its peers will
/// listen) and the broker its services and clients use. What `SystemRunner` and a load run share
/// before they launch anything; each then launches the plan in a fleet of its own.
public struct PreparedSystem: Sendable {
    public let plan: SystemPlan
    /// The managed broker started for the system; its owner stops it.
    public let broker: ManagedBroker?

    /// Plans `system` (only the services in `only`, when given) against `amqpURL`; without one and
    /// when a broker is needed (`brokerNeed` says why: "the system has events"), against a managed
    /// broker started here. On failure nothing is left running.
    public static func prepare(
        _ system: ContractSystem, reference: SystemPlan.Reference, amqpURL: String?, brokerNeed: String?,
        only: Set<String>? = nil, brokerOptions: ManagedBroker.Options = ManagedBroker.Options()
    ) async throws(SystemStartError) -> PreparedSystem {
        var broker: ManagedBroker?
        var amqpURL = amqpURL
        if amqpURL == nil, let brokerNeed {
            do {
                let managed = try await ManagedBroker.start(options: brokerOptions)
                broker = managed
                amqpURL = managed.endpoint.url
            } catch {
                throw SystemStartError(service: nil, location: system.display(system.location),
                                       reason: "\(brokerNeed) and no broker is given (AMQP_URL), and one could "
                                           + "not be started: \(error)", output: "")
            }
        }
        do {
            let plan = try SystemPlan(system: system, reference: reference, amqpURL: amqpURL, only: only) {
                try LocalPort.free()
            }
            return PreparedSystem(plan: plan, broker: broker)
        } catch {
            await broker?.stop()
            throw SystemStartError(service: nil, location: nil, reason: "\(error)", output: "")
        }
    }
}
