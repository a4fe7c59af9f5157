import AccordContracts

extension LoadProfile {
    /// The consumers a run accounts for: each event edge of a contract service the run starts, for
    /// an event its mix publishes, with the queue the edge names (or its default).
    public var accountedConsumers: [QueueConsumer] {
        guard let system = contracts else { return [] }
        let started = startedContractServices
        let published = Set(publishedEvents.values)
        var consumers: [QueueConsumer] = []
        for service in system.services where started.contains(service.name) {
            let edges = service.consumes.compactMap { edge -> (event: String, queue: String)? in
                guard case .event(let event) = edge.target, let queue = edge.queueName(system: system.name) else {
                    return nil
                }
                return (event, queue)
            }
            for edge in edges where published.contains(edge.event) {
                consumers.append(QueueConsumer(
                    service: service.name, event: edge.event, queue: edge.queue, soleEvent: edges.count == 1,
                    replicas: service.replicas))
            }
        }
        return consumers
    }
}
