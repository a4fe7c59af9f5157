import AccordAMQP
import AccordContracts
import AccordLoad
import AccordProcess
import AccordSystem
import Foundation
import Logging

/// The contract's services a load run starts itself (see `LoadProfile.startedContractServices`),
/// with the broker they need: reference services as `accord serve` processes, commands as
/// themselves, on free loopback ports, owned by the run's fleet so shutdown steps reach them.
struct ContractServices {
    var directory = ServiceDirectory()
    var specs: [ServiceSpec] = []
    var broker: ManagedBroker?

    static func prepare(for profile: LoadProfile, logLevel: Logger.Level) async throws -> ContractServices {
        guard let system = profile.contracts else { return ContractServices() }
        var services = ContractServices()
        let started = profile.startedContractServices
        let publishes = profile.mix.contains {
            if case .contract(let call) = $0.target, case .publish = call.kind { true } else { false }
        }
        var amqpURL = profile.amqpURL ?? AMQPBrokerSource.urlFromEnvironment()
        if amqpURL == nil && (publishes || !started.isEmpty && SystemPlan.needsBroker(system)) {
            do {
                let broker = try await ManagedBroker.start()
                services.broker = broker
                amqpURL = broker.endpoint.url
            } catch {
                throw BadInput(message: "\(profile.file): \(system.name) has events and no AMQP_URL is set, and a "
                    + "broker could not be started: \(error)")
            }
        }
        services.directory.amqpURL = amqpURL
        guard !started.isEmpty else { return services }
        let plan: SystemPlan
        do {
            plan = try SystemPlan(
                system: system,
                // Consumers log each message they process at info: the run's accounting reads those lines.
                reference: .init(accordExecutable: AccordExecutable.path, logLevel: "\(logLevel)",
                                 consumerLogLevel: "\(min(logLevel, .info))"),
                amqpURL: amqpURL, only: started
            ) { try LocalPort.free() }
        } catch {
            await services.broker?.stop()
            throw BadInput(message: "\(profile.file): \(error)")
        }
        services.directory = plan.directory
        services.specs = ServiceSpec.specs(of: plan)
        return services
    }
}
