import AccordOpenAPI
import AccordProto
import AccordReport

/// The static half of `accord check`: every consumer edge of a system compared with its
/// producer's declared schemas, without running anything. The dynamic half (examples driven
/// through running services, payloads checked on the wire) adds its findings after this.
public struct StaticCheck: Sendable {
    public let system: ContractSystem

    public init(system: ContractSystem) {
        self.system = system
    }

    /// Every finding, edge by edge in the order the contract declares them.
    public func findings() -> [Finding] {
        system.consumerEdges.flatMap(findings(for:))
    }

    /// The findings of one consumer edge.
    public func findings(for edge: ConsumerEdge) -> [Finding] {
        guard let producer = producerSchemas(edge.target) else { return [] }
        let context = FindingContext(system: system, producer: producer.name, consumer: edge.consumer,
                                     interaction: edge.interaction)
        var findings: [Finding] = []
        var shapes = ShapeComparison(context: context)
        if let reads = edge.reads { shapes.compare(expected: reads, produced: producer.response) }
        switch edge.copy {
        case .jsonSchema(let file, let copy, _)?:
            shapes.compare(expected: SchemaShape.jsonObject(copy.root, in: copy.schemas, name: file),
                           produced: producer.response)
        case .protobuf(_, _, let request, let response, _)?:
            var copies = ProtoCopyComparison(context: context)
            copies.compare(producer: producer.response, copy: .protobuf(response), direction: .toConsumer)
            if let request, let produced = producer.request {
                copies.compare(producer: produced, copy: .protobuf(request), direction: .toProducer)
            }
            findings += copies.findings
        case nil:
            break
        }
        findings = shapes.findings + findings
        if let request = producer.request {
            let sent: SchemaShape?
            if let sends = edge.sends {
                sent = sends
            } else if case .protobuf(_, _, let copied?, _, _)? = edge.copy {
                sent = .protobuf(copied)
            } else {
                sent = nil
            }
            if let sent { findings += RequiredFieldCheck(context: context).findings(required: request, sent: sent) }
        }
        return findings
    }

    /// The producer's name and schemas for an edge's target: the response (or event body) a
    /// consumer reads, and the request it sends.
    private func producerSchemas(_ target: EdgeTarget)
        -> (name: String, response: SchemaShape, request: SchemaShape?)?
    {
        switch target {
        case .rpc(let service, let method):
            let required = system.service(named: service)?.grpc?.required[method.name]?.map(\.name) ?? []
            return (service, .protobuf(method.outputType),
                    .protobuf(method.inputType, requiredPaths: Set(required)))
        case .rest(let service, let operation):
            guard let contract = system.service(named: service)?.rest?.contract else { return nil }
            let name = "\(operation.method) \(operation.path)"
            let success = operation.responses.compactMap { key, response -> (Int, SchemaID)? in
                guard case .code(let code) = key, (200...299).contains(code),
                    let schema = response.content.schema(for: "application/json")
                else { return nil }
                return (code, schema)
            }.min { $0.0 < $1.0 }
            let response = success.map { code, schema in
                Self.bodyShape(schema, in: contract.schemas, name: "\(name) \(code) response")
            } ?? SchemaShape(id: name, name: "\(name) (no JSON success response)", origin: .jsonSchema,
                             location: operation.location, fields: [], isOpen: false)
            let request = operation.requestBody?.content.schema(for: "application/json").map {
                Self.bodyShape($0, in: contract.schemas, name: "\(name) request body")
            }
            return (service, response, request)
        case .event(let name):
            guard let event = system.event(named: name) else { return nil }
            let publishers = system.publishers(of: name).map(\.name)
            let producer = publishers.isEmpty ? "event \(name)" : publishers.joined(separator: ", ")
            switch event.payload {
            case .protobuf(let message): return (producer, .protobuf(message), nil)
            case .json(let schema): return (producer, .jsonObject(schema.root, in: schema.schemas, name: name), nil)
            }
        }
    }

    /// A body's object shape; for a list body, the shape of each element.
    private static func bodyShape(_ schema: SchemaID, in set: SchemaSet, name: String) -> SchemaShape {
        if case (.object(let shape), _) = SchemaShape.jsonSchema(schema, in: set, name: name) { return shape }
        return SchemaShape.jsonObject(schema, in: set, name: name)
    }
}
