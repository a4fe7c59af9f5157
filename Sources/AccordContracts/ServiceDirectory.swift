/// Where the services of a running system listen: what `accord serve`, `accord check` and load
/// runs hand to clients and to reference services that call their peers.
public struct ServiceDirectory: Sendable, Hashable {
    /// `host:port` addresses of one service, per interface; several when it runs replicas.
    public struct Endpoints: Sendable, Hashable {
        public var grpc: [String]
        public var http: [String]

        public init(grpc: [String] = [], http: [String] = []) {
            self.grpc = grpc
            self.http = http
        }

        public func addresses(of interface: ServiceInterface) -> [String] {
            switch interface {
            case .grpc: grpc
            case .http: http
            }
        }
    }

    /// By service name.
    public var services: [String: Endpoints]
    /// The broker (`amqp://user:pass@127.0.0.1:5672/vhost`), when the system has events.
    public var amqpURL: String?

    public init(services: [String: Endpoints] = [:], amqpURL: String? = nil) {
        self.services = services
        self.amqpURL = amqpURL
    }

    public func addresses(of service: String, _ interface: ServiceInterface) -> [String] {
        services[service]?.addresses(of: interface) ?? []
    }

    /// `orders.grpc=127.0.0.1:50051`: one address per argument, the form `accord serve --peer` takes.
    public var peerArguments: [String] {
        services.keys.sorted().flatMap { name in
            ServiceInterface.allCases.flatMap { interface in
                addresses(of: name, interface).map { "\(name).\(interface.rawValue)=\($0)" }
            }
        }
    }

    /// Adds one `service.interface=host:port` argument; false when it is not of that form.
    public mutating func addPeer(_ argument: String) -> Bool {
        guard let equals = argument.firstIndex(of: "="),
            let dot = argument[..<equals].lastIndex(of: "."),
            let interface = ServiceInterface(rawValue: String(argument[argument.index(after: dot)..<equals]))
        else { return false }
        let name = String(argument[..<dot]), address = String(argument[argument.index(after: equals)...])
        guard !name.isEmpty, !address.isEmpty else { return false }
        var endpoints = services[name] ?? Endpoints()
        switch interface {
        case .grpc: endpoints.grpc.append(address)
        case .http: endpoints.http.append(address)
        }
        services[name] = endpoints
        return true
    }
}
