extension ServiceSpec {
    /// The services a plan launches, as a fleet: the one `SystemRunner` owns, or a load run's
    /// (so its shutdown steps can signal and restart them like the profile's own services).
    public static func specs(of plan: SystemPlan) -> [ServiceSpec] {
        var specs: [ServiceSpec] = []
        for launch in plan.launches {
            let replica = Replica(
                index: launch.replica, command: launch.command, environment: launch.environment,
                readiness: launch.readiness,
                // The port a client's connection events name: how they trace back to this replica.
                port: launch.grpcPort ?? launch.httpPort)
            if let index = specs.firstIndex(where: { $0.name == launch.service }) {
                specs[index].replicas.append(replica)
            } else {
                specs.append(ServiceSpec(name: launch.service, directory: launch.directory, replicas: [replica]))
            }
        }
        return specs
    }
}

extension ProcessLaunch {
    /// The replica of the plan's fleet this launch is.
    public var id: ReplicaID { ReplicaID(service: service, replica: replica) }
}
