import AccordDocuments

/// How a service is brought up for `accord check`, `accord serve` and load runs.
public enum RunMode: Sendable {
    /// Accord runs the service itself from its `reference:` behaviour (`accord serve --service NAME`).
    case reference
    /// Accord launches a real program and waits until it is ready.
    case command(CommandRun)
    /// The service is already running there.
    case address(AddressRun)

    public var name: String {
        switch self {
        case .reference: "reference"
        case .command: "command"
        case .address: "address"
        }
    }
}

/// The two listening interfaces a service can have.
public enum ServiceInterface: String, Sendable, Hashable, CaseIterable {
    case grpc, http
}

/// `run: command`: a program, its environment, and how to tell it is ready. Arguments and
/// environment values may hold placeholders (`${grpc_port}`, `${http_port}`, `${amqp_url}`,
/// `${<service>.grpc}`, `${<service>.http}`) that the runner fills in; the loader has checked
/// that each names something that exists.
public struct CommandRun: Sendable {
    public struct Variable: Sendable, Hashable {
        public let name: String
        public let value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `[python3, services/orders.py]`; run in the system folder.
    public let arguments: [String]
    /// In file order.
    public let environment: [Variable]
    public let ready: Readiness
    public let location: SourceLocation

    public init(arguments: [String], environment: [Variable], ready: Readiness, location: SourceLocation) {
        self.arguments = arguments
        self.environment = environment
        self.ready = ready
        self.location = location
    }
}

/// When a launched program counts as ready.
public struct Readiness: Sendable, Hashable {
    public enum Probe: Sendable, Hashable {
        /// The interface's port accepts TCP connections.
        case port(ServiceInterface)
        /// `GET <path>` on the HTTP port answers 2xx.
        case http(path: String)
        /// The program prints a line containing this text on stdout (for services without ports).
        case output(String)
    }

    public let probe: Probe
    /// How long to wait before giving up (an infrastructure failure: exit 2).
    public let timeout: Duration

    public init(probe: Probe, timeout: Duration) {
        self.probe = probe
        self.timeout = timeout
    }
}

/// `run: address`: where an already running service listens (`host:port` per interface).
public struct AddressRun: Sendable, Hashable {
    public let grpc: String?
    public let http: String?
    public let location: SourceLocation

    public init(grpc: String?, http: String?, location: SourceLocation) {
        self.grpc = grpc
        self.http = http
        self.location = location
    }
}
