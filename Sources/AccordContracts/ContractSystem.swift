import AccordDocuments
import AccordJSON
import AccordOpenAPI
import AccordProto
import Foundation

/// A loaded `contracts/<system>/system.yaml`: services, the events between them, and every
/// reference resolved (a consumer edge knows its producer's method, operation or event). Every
/// location is relative to the system folder; `display(_:)` shows it under the folder's name.
public struct ContractSystem: Sendable {
    public let name: String
    public let summary: String?
    /// The system folder, absolute.
    public let folder: URL
    /// The folder as the user named it (`contracts/shop`), for messages.
    public let displayFolder: String
    /// Where `system:` is written.
    public let location: SourceLocation
    /// In the order the file declares them.
    public let services: [ContractService]
    public let events: [ContractEvent]

    public init(name: String, summary: String?, folder: URL, displayFolder: String, location: SourceLocation,
                services: [ContractService], events: [ContractEvent]) {
        self.name = name
        self.summary = summary
        self.folder = folder
        self.displayFolder = displayFolder
        self.location = location
        self.services = services
        self.events = events
    }

    public func service(named name: String) -> ContractService? { services.first { $0.name == name } }

    public func event(named name: String) -> ContractEvent? { events.first { $0.name == name } }

    /// The services that list `event` under `publishes`.
    public func publishers(of event: String) -> [ContractService] {
        services.filter { $0.publishes.contains { $0.name == event } }
    }

    /// Every consumer edge of every service.
    public var consumerEdges: [ConsumerEdge] { services.flatMap(\.consumes) }

    /// Every interaction a producer offers: each RPC method, each REST operation, each event.
    public var interactions: [String] {
        var names: [String] = []
        for service in services {
            if let grpc = service.grpc {
                names += grpc.service.methods.map { Interaction.rpc(service: service.name, method: $0.name) }
            }
            if let rest = service.rest {
                names += rest.contract.operations.map {
                    Interaction.rest(service: service.name, method: $0.method, path: $0.path)
                }
            }
        }
        return names + events.map { Interaction.event($0.name) }
    }

    /// `contracts/shop/protos/orders.proto:12`: a location as a user opens it from where they ran accord.
    public func display(_ location: SourceLocation?) -> String? {
        guard let location else { return nil }
        let relative = relativeFile(location)
        var text = ContractPaths.join(displayFolder, relative)
        if let line = location.line { text += ":\(line)" }
        return text
    }

    /// The location's file relative to the system folder (protoc names files relative to their
    /// import root, which may be a subfolder).
    func relativeFile(_ location: SourceLocation) -> String {
        if let path = location.path, let relative = ContractPaths.relative(path, to: folder) { return relative }
        return location.file
    }
}

/// The names `accord check`, reports and load profiles use for interactions.
public enum Interaction {
    /// `orders.CreateOrder`
    public static func rpc(service: String, method: String) -> String { "\(service).\(method)" }
    /// `gateway POST /orders`
    public static func rest(service: String, method: String, path: String) -> String { "\(service) \(method) \(path)" }
    /// `event order.created`
    public static func event(_ name: String) -> String { "event \(name)" }
}

/// A name written in the contract (an event in `publishes`), with where it is written.
public struct NamedReference: Sendable, Hashable {
    public let name: String
    public let location: SourceLocation

    public init(name: String, location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

public struct ContractService: Sendable {
    public let name: String
    public let location: SourceLocation
    public let summary: String?
    public let grpc: GRPCInterface?
    public let rest: RESTInterface?
    public let publishes: [NamedReference]
    public let consumes: [ConsumerEdge]
    public let run: RunMode
    /// How many processes `run: reference` or `run: command` starts (1 unless stated).
    public let replicas: Int
    /// The declarative behaviour of a `run: reference` service.
    public let reference: ReferenceBehaviour?
    /// In file order.
    public let examples: [ContractExample]

    public init(name: String, location: SourceLocation, summary: String?, grpc: GRPCInterface?, rest: RESTInterface?,
                publishes: [NamedReference], consumes: [ConsumerEdge], run: RunMode, replicas: Int,
                reference: ReferenceBehaviour?, examples: [ContractExample]) {
        self.name = name
        self.location = location
        self.summary = summary
        self.grpc = grpc
        self.rest = rest
        self.publishes = publishes
        self.consumes = consumes
        self.run = run
        self.replicas = replicas
        self.reference = reference
        self.examples = examples
    }
}

/// A service's gRPC API: its compiled .proto files and the service it implements.
public struct GRPCInterface: Sendable {
    /// The `protos` files as written, relative to the system folder.
    public let protoFiles: [String]
    /// Absolute import roots given to protoc (the system folder unless `import_paths` says otherwise).
    public let importPaths: [String]
    public let schema: ProtoSchema
    public let service: ServiceDescriptor
    /// Request fields each method requires (`grpc.required`), by method name, as dotted paths.
    public let required: [String: [NamedReference]]
    public let location: SourceLocation

    public init(protoFiles: [String], importPaths: [String], schema: ProtoSchema, service: ServiceDescriptor,
                required: [String: [NamedReference]], location: SourceLocation) {
        self.protoFiles = protoFiles
        self.importPaths = importPaths
        self.schema = schema
        self.service = service
        self.required = required
        self.location = location
    }

    public func method(named name: String) -> MethodDescriptor? { service.method(named: name) }
}

/// A service's REST API: its OpenAPI document.
public struct RESTInterface: Sendable {
    /// The `openapi` file as written, relative to the system folder.
    public let openapiFile: String
    public let contract: OpenAPIContract
    public let location: SourceLocation

    public init(openapiFile: String, contract: OpenAPIContract, location: SourceLocation) {
        self.openapiFile = openapiFile
        self.contract = contract
        self.location = location
    }
}

/// An event on RabbitMQ: where it is published and what its body is.
public struct ContractEvent: Sendable {
    public let name: String
    public let location: SourceLocation
    public let amqp: AMQPBinding
    public let payload: EventPayload

    public init(name: String, location: SourceLocation, amqp: AMQPBinding, payload: EventPayload) {
        self.name = name
        self.location = location
        self.amqp = amqp
        self.payload = payload
    }
}

public struct AMQPBinding: Sendable, Hashable {
    public enum ExchangeType: String, Sendable, Hashable, CaseIterable {
        case direct, topic, fanout, headers
    }

    public let exchange: String
    public let exchangeType: ExchangeType
    /// The routing key messages are published with (the event's name unless stated).
    public let routingKey: String
    public let location: SourceLocation

    public init(exchange: String, exchangeType: ExchangeType, routingKey: String, location: SourceLocation) {
        self.exchange = exchange
        self.exchangeType = exchangeType
        self.routingKey = routingKey
        self.location = location
    }
}

/// An event's body.
public enum EventPayload: Sendable {
    /// A protobuf message, binary on the wire (`content_type: application/x-protobuf`).
    case protobuf(MessageDescriptor)
    /// A JSON document described by a JSON Schema file (`content_type: application/json`).
    case json(JSONSchemaFile)

    public var contentType: String {
        switch self {
        case .protobuf: "application/x-protobuf"
        case .json: "application/json"
        }
    }
}
