import AccordContracts
import AccordDocuments
import AccordProcess
import Foundation

/// How one process of a system is launched: decided before anything starts, so every service
/// knows where its peers will listen.
public struct ProcessLaunch: Sendable {
    public let service: String
    /// 0-based, among the service's `replicas`.
    public let replica: Int
    public let command: [String]
    public let environment: [String: String]
    public let directory: URL
    public let readiness: ManagedProcess.Readiness
    public let readyTimeout: Duration
    /// Where the service is declared, for messages about it.
    public let location: SourceLocation
    /// The ports accord chose for it, per interface it has.
    public let grpcPort: Int?
    public let httpPort: Int?
}

/// The processes a system needs and the addresses they will listen on. Ports are chosen up front
/// (free ports on 127.0.0.1), so the plan is a pure function of the contract and those ports.
public struct SystemPlan: Sendable {
    public let launches: [ProcessLaunch]
    public let directory: ServiceDirectory

    /// How reference services run: `accord serve` of the accord binary at `accordExecutable`.
    public struct Reference: Sendable {
        public var accordExecutable: String
        public var logLevel: String
        /// The log level of reference services that consume events, when it differs: a load run
        /// reads their per-message lines (logged at info) to account for its messages.
        public var consumerLogLevel: String?
        /// Reference services wait this long to become ready.
        public var readyTimeout: Duration

        public init(accordExecutable: String, logLevel: String = "info", consumerLogLevel: String? = nil,
                    readyTimeout: Duration = .seconds(30)) {
            self.accordExecutable = accordExecutable
            self.logLevel = logLevel
            self.consumerLogLevel = consumerLogLevel
            self.readyTimeout = readyTimeout
        }
    }

    /// Whether running `system` needs a broker: it declares events someone publishes or consumes.
    public static func needsBroker(_ system: ContractSystem) -> Bool {
        !system.events.isEmpty
    }

    /// `only`, when given, limits the plan to those services (a load run whose profile stands in
    /// for the others); the others are neither started nor in the directory.
    public init(system: ContractSystem, reference: Reference, amqpURL: String?, only: Set<String>? = nil,
                freePort: () throws -> Int) rethrows {
        var directory = ServiceDirectory(amqpURL: amqpURL)
        var ports: [String: [(grpc: Int?, http: Int?)]] = [:]
        for service in system.services where only?.contains(service.name) ?? true {
            switch service.run {
            case .address(let address):
                directory.services[service.name] = .init(grpc: address.grpc.map { [$0] } ?? [],
                                                         http: address.http.map { [$0] } ?? [])
            case .reference where !Self.servesAnything(service):
                // A consumer of RPCs and REST alone: the check and load runs make its calls.
                continue
            case .reference, .command:
                var endpoints = ServiceDirectory.Endpoints()
                var replicas: [(grpc: Int?, http: Int?)] = []
                for _ in 0..<service.replicas {
                    let grpc = try service.grpc.map { _ in try freePort() }
                    let http = try service.rest.map { _ in try freePort() }
                    endpoints.grpc += grpc.map { ["127.0.0.1:\($0)"] } ?? []
                    endpoints.http += http.map { ["127.0.0.1:\($0)"] } ?? []
                    replicas.append((grpc, http))
                }
                directory.services[service.name] = endpoints
                ports[service.name] = replicas
            }
        }
        var launches: [ProcessLaunch] = []
        for service in system.services {
            for (replica, port) in (ports[service.name] ?? []).enumerated() {
                launches.append(Self.launch(service, replica: replica, grpcPort: port.grpc, httpPort: port.http,
                                            system: system, directory: directory, reference: reference))
            }
        }
        self.launches = launches
        self.directory = directory
    }

    private static func launch(_ service: ContractService, replica: Int, grpcPort: Int?, httpPort: Int?,
                               system: ContractSystem, directory: ServiceDirectory,
                               reference: Reference) -> ProcessLaunch {
        switch service.run {
        case .command(let run):
            let values = placeholderValues(grpcPort: grpcPort, httpPort: httpPort, directory: directory)
            let readiness: ManagedProcess.Readiness
            switch run.ready.probe {
            case .port(.grpc): readiness = .port(grpcPort ?? 0)
            case .port(.http): readiness = .port(httpPort ?? 0)
            case .http(let path): readiness = .httpGet(port: httpPort ?? 0, path: path)
            case .output(let text): readiness = .outputLine(containing: text)
            }
            return ProcessLaunch(
                service: service.name, replica: replica,
                command: run.arguments.map { fill($0, values) },
                environment: Dictionary(run.environment.map { ($0.name, fill($0.value, values)) },
                                        uniquingKeysWith: { _, last in last }),
                directory: system.folder, readiness: readiness, readyTimeout: run.ready.timeout,
                location: run.location, grpcPort: grpcPort, httpPort: httpPort)
        case .reference, .address:
            let consumes = service.consumes.contains { if case .event = $0.target { true } else { false } }
            let level = consumes ? reference.consumerLogLevel ?? reference.logLevel : reference.logLevel
            var command = [reference.accordExecutable, "serve", system.folder.path, "--service", service.name,
                           "--log-level", level]
            if let grpcPort { command += ["--grpc-port", String(grpcPort)] }
            if let httpPort { command += ["--http-port", String(httpPort)] }
            if let url = directory.amqpURL { command += ["--amqp-url", url] }
            var peers = directory
            peers.services[service.name] = nil
            command += peers.peerArguments.flatMap { ["--peer", $0] }
            return ProcessLaunch(
                service: service.name, replica: replica, command: command,
                environment: [:],
                directory: system.folder, readiness: .outputLine(containing: "READY \(service.name)"),
                readyTimeout: reference.readyTimeout, location: service.location, grpcPort: grpcPort,
                httpPort: httpPort)
        }
    }

    /// Whether a reference service has something to run: an interface, or events it consumes.
    static func servesAnything(_ service: ContractService) -> Bool {
        service.grpc != nil || service.rest != nil
            || service.consumes.contains { if case .event = $0.target { true } else { false } }
    }

    /// The values of a command's placeholders (see docs/contracts.md, "Running a service").
    static func placeholderValues(grpcPort: Int?, httpPort: Int?, directory: ServiceDirectory) -> [String: String] {
        var values: [String: String] = [:]
        if let grpcPort { values["grpc_port"] = String(grpcPort) }
        if let httpPort { values["http_port"] = String(httpPort) }
        if let url = directory.amqpURL { values["amqp_url"] = url }
        for (name, endpoints) in directory.services {
            if let first = endpoints.grpc.first { values["\(name).grpc"] = first }
            if let first = endpoints.http.first { values["\(name).http"] = first }
        }
        return values
    }

    /// `${name}` replaced by its value; unknown names stay as written (the loader has rejected
    /// those, so what remains is literal text).
    static func fill(_ text: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            result += rest[..<open.lowerBound]
            let name = String(rest[open.upperBound..<close])
            result += values[name] ?? "${\(name)}"
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
