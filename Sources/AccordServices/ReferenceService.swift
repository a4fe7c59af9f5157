import AccordAMQP
import AccordContracts
import AccordGRPC
import AccordHTTP
import AccordSystem
import Logging
import ServiceLifecycle
import Synchronization

/// One `run: reference` service of a contract, running: its gRPC interface on `GRPCServer`, its
/// REST interface on `HTTPServer`, the events it publishes on the broker and the ones it
/// consumes from their queues, all answering as its `reference:` behaviour states.
///
/// A `Service`: `run()` connects, declares, binds and listens, calls `onReady`, serves until the
/// service group's graceful shutdown, then drains in the order a well-run Go service does: stop
/// accepting and GOAWAY while in-flight calls and requests finish, cancel the consumers and ack
/// what they hold, then close the broker connection and the clients of its peers. The `slow`
/// style drains the same way, slowly (`DrainPace`); `abrupt` never gets here (`AbruptExit`).
public final class ReferenceService: Service, Sendable {
    public struct Configuration: Sendable {
        public var host: String
        /// 0 picks a free port; `onReady` says which.
        public var grpcPort: Int
        public var httpPort: Int
        /// The broker, needed when the service publishes or consumes events.
        public var broker: AMQPEndpoint?
        /// Where the services it forwards to listen.
        public var peers: ServiceDirectory
        /// How long in-flight work gets to finish after the signal (at least twice
        /// `DrainPace.slowHold` for the slow style, so the hold itself is not cut short).
        public var gracePeriod: Duration
        /// Unsettled deliveries each consumer may hold: also how many it processes at once.
        public var prefetch: UInt16

        public init(host: String = "127.0.0.1", grpcPort: Int = 0, httpPort: Int = 0, broker: AMQPEndpoint? = nil,
                    peers: ServiceDirectory = ServiceDirectory(), gracePeriod: Duration = .seconds(10),
                    prefetch: UInt16 = 64) {
            self.host = host
            self.grpcPort = grpcPort
            self.httpPort = httpPort
            self.broker = broker
            self.peers = peers
            self.gracePeriod = gracePeriod
            self.prefetch = prefetch
        }
    }

    /// The ports a ready service listens on (nil for an interface it does not have).
    public struct Ports: Sendable, Hashable {
        public var grpc: Int?
        public var http: Int?

        public init(grpc: Int? = nil, http: Int? = nil) {
            self.grpc = grpc
            self.http = http
        }
    }

    /// An event the service consumes: its queue and how it handles each message.
    struct ConsumedEvent: Sendable {
        let queue: String
        let codec: EventCodec
        let behaviour: ConsumerBehaviour
    }

    public let system: ContractSystem
    public let service: ContractService
    public let behaviour: ReferenceBehaviour
    public let configuration: Configuration
    public let pace: DrainPace
    let logger: Logger
    let handlers: ReferenceHandlers
    let peers: [String: PeerClients]
    /// By event name: the events the behaviours publish.
    let published: [String: EventCodec]
    let consumed: [ConsumedEvent]
    let store: Mutex<RecordStore>
    private let onReady: @Sendable (Ports) -> Void

    /// Checks that the behaviour can run as configured (every forward target has an address, a
    /// broker is given when events flow); no I/O until `run()`.
    public init(system: ContractSystem, service name: String, configuration: Configuration = Configuration(),
                logger: Logger, onReady: @escaping @Sendable (Ports) -> Void = { _ in }) throws(ReferenceSetupError) {
        guard let service = system.service(named: name) else {
            let names = system.services.map(\.name).joined(separator: ", ")
            throw ReferenceSetupError("\(system.displayFolder): no service \(name) in system \(system.name) "
                + "(services: \(names))")
        }
        guard case .reference = service.run, let behaviour = service.reference else {
            throw ReferenceSetupError(location: system.display(service.location),
                "service \(name) has run: \(service.run.name); only run: reference services can be served")
        }
        self.system = system
        self.service = service
        self.behaviour = behaviour
        var configuration = configuration
        if behaviour.shutdown == .slow {
            configuration.gracePeriod = max(configuration.gracePeriod, DrainPace.slowHold * 2)
        }
        self.configuration = configuration
        self.pace = DrainPace(style: behaviour.shutdown)
        var logger = logger
        logger[metadataKey: ServiceLogKey.service] = "\(name)"
        self.logger = logger
        self.onReady = onReady

        handlers = try ReferenceHandlers(system: system, service: service, behaviour: behaviour)
        var peers: [String: PeerClients] = [:]
        for route in behaviour.routes {
            guard case .forward(let target, let method) = route.handling, peers[target] == nil else { continue }
            guard let clients = try PeerClients(service: target, directory: configuration.peers, logger: logger) else {
                throw ReferenceSetupError(location: system.display(route.location),
                    "\(route.route) forwards to \(target).\(method.name), but no address of \(target) is given "
                        + "(--peer \(target).grpc=HOST:PORT)")
            }
            peers[target] = clients
        }
        self.peers = peers

        let handlings = behaviour.rpcs.map(\.handling) + behaviour.routes.compactMap { route -> StoreHandling? in
            if case .store(let handling) = route.handling { handling } else { nil }
        }
        var published: [String: EventCodec] = [:]
        for spec in handlings.flatMap(\.publish) {
            guard let event = system.event(named: spec.event) else { continue }
            published[spec.event] = EventCodec(event: event)
        }
        self.published = published
        consumed = service.consumes.compactMap { edge -> ConsumedEvent? in
            guard case .event(let name) = edge.target, let event = system.event(named: name),
                let queue = edge.queueName(system: system.name)
            else { return nil }
            let handling = behaviour.consumer(of: name)
                ?? ConsumerBehaviour(event: name, delay: .zero, failureRate: 0, location: edge.location)
            return ConsumedEvent(queue: queue, codec: EventCodec(event: event), behaviour: handling)
        }
        if configuration.broker == nil && (!published.isEmpty || !consumed.isEmpty) {
            let flows = [("publishes", published.keys.sorted()), ("consumes", consumed.map(\.codec.event.name))]
                .filter { !$0.1.isEmpty }.map { "\($0.0) \($0.1.joined(separator: ", "))" }
                .joined(separator: " and ")
            throw ReferenceSetupError(location: system.display(service.location),
                "service \(name) \(flows): it needs a broker (--amqp-url URL or AMQP_URL)")
        }
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        store = Mutex(RecordStore(name: behaviour.store, idField: behaviour.idField,
                                  idPrefix: String(repeating: "0", count: 8 - hex.count) + hex))
    }

    /// Starts everything, serves until the graceful shutdown, drains, closes. Throws
    /// `ReferenceSetupError` when it cannot start (nothing is left running then).
    public func run() async throws {
        let running = try await start()
        var failure: (any Error)?
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (consumer, handler) in running.consumers {
                    group.addTask { try await handler.run(consumer) }
                }
                group.addTask {
                    // Returns at SIGTERM/SIGINT (the group's graceful shutdown) and throws when the
                    // task is cancelled (a consumer failed): either way, drain.
                    try? await gracefulShutdown()
                    self.pace.begin()
                    self.logger.notice("shutting down",
                                       metadata: [ServiceLogKey.shutdown: "\(self.behaviour.shutdown)"])
                    await running.drain(grace: self.configuration.gracePeriod, logger: self.logger)
                }
                try await group.waitForAll()
            }
        } catch {
            failure = error
            logger.error("a consumer failed", metadata: [ServiceLogKey.reason: "\(error)"])
        }
        await pace.settle()
        await close(running)
        logger.notice("stopped")
        if let failure { throw failure }
    }

    /// Connects and declares, listens, starts the consumers, then tells `onReady`; on failure
    /// stops what it started.
    private func start() async throws(ReferenceSetupError) -> Running {
        let connection = try await connectBroker()
        var running = Running(connection: connection)
        do throws(ReferenceSetupError) {
            try await declareTopology(on: connection)
            let publisher = connection.map {
                EventPublisher(connection: $0, codecs: published, appID: "accord-reference/\(service.name)")
            }
            let host = configuration.host
            var ports = Ports()
            if let grpc = service.grpc {
                let server = GRPCServer(
                    configuration: .init(host: host, port: configuration.grpcPort,
                                         gracePeriod: configuration.gracePeriod),
                    handlers: grpcHandlers(grpc, publisher: publisher), logger: logger)
                running.grpc = server
                do {
                    ports.grpc = try await server.start()
                } catch {
                    throw ReferenceSetupError("cannot listen for gRPC on \(host):\(configuration.grpcPort)",
                                              cause: "\(error)")
                }
            }
            if let rest = service.rest {
                let server = HTTPServer(router: try router(rest, publisher: publisher),
                                        configuration: .init(host: host, port: configuration.httpPort), logger: logger)
                running.http = server
                do {
                    ports.http = try await server.start().port
                } catch {
                    throw ReferenceSetupError("cannot listen for HTTP on \(host):\(configuration.httpPort)",
                                              cause: error.description)
                }
            }
            for event in consumed {
                guard let connection else { break }
                let consumer: AMQPConsumer
                do {
                    consumer = try await connection.consume(queue: event.queue, prefetch: configuration.prefetch)
                } catch {
                    throw ReferenceSetupError("cannot consume queue \(event.queue)", cause: "\(error)")
                }
                running.consumers.append((consumer, ReferenceConsumer(
                    queue: event.queue, codec: event.codec, behaviour: event.behaviour, pace: pace, logger: logger)))
            }
            logger.notice("ready", metadata: [
                ServiceLogKey.grpcPort: "\(ports.grpc.map(String.init) ?? "-")",
                ServiceLogKey.httpPort: "\(ports.http.map(String.init) ?? "-")",
            ])
            onReady(ports)
            return running
        } catch {
            await running.drain(grace: .zero, logger: logger)
            await close(running)
            throw error
        }
    }

    private func connectBroker() async throws(ReferenceSetupError) -> AMQPConnection? {
        guard let endpoint = configuration.broker, !published.isEmpty || !consumed.isEmpty else { return nil }
        do {
            return try await AMQPConnection.connect(to: endpoint, logger: logger)
        } catch {
            throw ReferenceSetupError("cannot reach the broker at \(endpoint)", cause: "\(error)")
        }
    }

    /// Declares the exchange of every event published or consumed, and each consumer's queue,
    /// bound to its event's exchange by the routing key. Everything is durable: queued messages
    /// outlive a restart of the service.
    private func declareTopology(on connection: AMQPConnection?) async throws(ReferenceSetupError) {
        guard let connection else { return }
        var declared: Set<String> = []
        for event in published.values.map(\.event) + consumed.map(\.codec.event) {
            let binding = event.amqp
            guard declared.insert(binding.exchange).inserted else { continue }
            do {
                try await connection.declareExchange(
                    binding.exchange, type: AMQPExchangeType(binding.exchangeType))
            } catch {
                throw ReferenceSetupError(location: system.display(binding.location),
                                          "cannot declare exchange \(binding.exchange)", cause: "\(error)")
            }
        }
        for event in consumed {
            let binding = event.codec.event.amqp
            do {
                try await connection.declareQueue(event.queue)
                try await connection.bindQueue(event.queue, to: binding.exchange, routingKey: binding.routingKey)
            } catch {
                throw ReferenceSetupError(
                    "cannot declare queue \(event.queue) bound to \(binding.exchange) by \(binding.routingKey)",
                    cause: "\(error)")
            }
        }
    }

    /// Publishes a result's events, then makes its change: a client that sees the error can
    /// retry without leaving a record behind that no event announced.
    func commit(_ change: RecordChange?, events: [PlannedEvent], publisher: EventPublisher?, correlationID: String,
                logger: Logger) async throws(EventPublishError) {
        if let first = events.first {
            guard let publisher else { throw EventPublishError(event: first.event, reason: "no broker to publish on") }
            try await publisher.publish(events, correlationID: correlationID, logger: logger)
        }
        if let change { store.withLock { $0.apply(change) } }
    }

    private func close(_ running: Running) async {
        await running.connection?.close(timeout: configuration.gracePeriod)
        for clients in peers.values { await clients.close() }
    }
}

/// What `run()` started, for draining and closing.
private struct Running: Sendable {
    let connection: AMQPConnection?
    var grpc: GRPCServer?
    var http: HTTPServer?
    var consumers: [(AMQPConsumer, ReferenceConsumer)] = []

    init(connection: AMQPConnection?) {
        self.connection = connection
    }

    /// Stops accepting and lets in-flight calls and requests finish while the consumers stop
    /// taking messages and settle the ones they hold, all within `grace`.
    func drain(grace: Duration, logger: Logger) async {
        await withTaskGroup(of: Void.self) { group in
            if let grpc { group.addTask { await grpc.shutdown(grace: grace) } }
            if let http { group.addTask { await http.shutdown(grace: grace) } }
            for (consumer, _) in consumers {
                group.addTask {
                    let summary = await consumer.stop(settleTimeout: grace)
                    logger.info("consumer stopped", metadata: [
                        ServiceLogKey.queue: "\(consumer.queue)", ServiceLogKey.requeued: "\(summary.requeued)",
                    ])
                }
            }
        }
    }
}
