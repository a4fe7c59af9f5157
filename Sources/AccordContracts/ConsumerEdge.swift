import AccordDocuments
import AccordOpenAPI
import AccordProto

/// One thing a service consumes: an RPC, a REST operation or an event, with what it expects of
/// it (inline `reads`/`sends`, or its own copy of the producer's schema).
public struct ConsumerEdge: Sendable {
    public let consumer: String
    public let target: EdgeTarget
    /// Response (or event) fields the consumer reads, by dotted path.
    public let reads: SchemaShape?
    /// Request fields the consumer sends (RPC request, REST body).
    public let sends: SchemaShape?
    /// The consumer's own copy of the producer's schema.
    public let copy: ConsumerCopy?
    /// Event edges: the queue the consumer reads from (`<system>.<consumer>.<event>` unless stated).
    public let queue: String?
    /// Where the edge is written (the `rpc:`/`rest:`/`event:` line).
    public let location: SourceLocation

    public init(consumer: String, target: EdgeTarget, reads: SchemaShape?, sends: SchemaShape?, copy: ConsumerCopy?,
                queue: String?, location: SourceLocation) {
        self.consumer = consumer
        self.target = target
        self.reads = reads
        self.sends = sends
        self.copy = copy
        self.queue = queue
        self.location = location
    }

    /// `orders.CreateOrder`, `gateway POST /orders`, `event order.created`.
    public var interaction: String { target.interaction }

    /// An event edge's queue in `system`: `queue`, else `<system>.<consumer>.<event>`; nil for other edges.
    public func queueName(system: String) -> String? {
        guard case .event(let event) = target else { return nil }
        return queue ?? "\(system).\(consumer).\(event)"
    }

    /// `gateway -> orders.CreateOrder`: the edge's JUnit test case.
    public var name: String { "\(consumer) -> \(interaction)" }
}

public enum EdgeTarget: Sendable {
    case rpc(service: String, method: MethodDescriptor)
    case rest(service: String, operation: OpenAPIOperation)
    case event(name: String)

    public var interaction: String {
        switch self {
        case .rpc(let service, let method): Interaction.rpc(service: service, method: method.name)
        case .rest(let service, let operation):
            Interaction.rest(service: service, method: operation.method, path: operation.path)
        case .event(let name): Interaction.event(name)
        }
    }
}

/// A consumer's own copy of the producer's schema, compiled from its own files.
public enum ConsumerCopy: Sendable {
    /// The consumer's .proto files; `messages` are its versions of the interaction's messages,
    /// found by the producer's full names (request and response for RPCs, the body for events).
    case protobuf(files: [String], schema: ProtoSchema, request: MessageDescriptor?, response: MessageDescriptor,
                  location: SourceLocation)
    /// The consumer's JSON Schema of the body it receives.
    case jsonSchema(file: String, schema: JSONSchemaFile, location: SourceLocation)

    public var location: SourceLocation {
        switch self {
        case .protobuf(_, _, _, _, let location), .jsonSchema(_, _, let location): location
        }
    }
}
