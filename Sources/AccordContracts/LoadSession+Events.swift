import AccordDocuments
import AccordOpenAPI
import AccordProto

extension LoadSession {
    static let eventKeys = ["description", "amqp", "message", "schema", "protos", "import_paths"]

    /// Phase 2: an event, its AMQP binding and its body's schema. A protobuf body is looked up in
    /// the event's own `protos`, else in the .proto files of the services that publish it.
    func loadEvent(_ name: String, node: YAMLNode) -> ContractEvent? {
        guard let mapping = read.mapping(node, allowed: Self.eventKeys, required: ["amqp"]) else { return nil }
        let amqp = mapping["amqp"].flatMap { amqpBinding($0, event: name) }
        let payload: EventPayload?
        switch (mapping["message"], mapping["schema"]) {
        case (let messageNode?, nil):
            payload = protobufPayload(name, messageNode: messageNode, mapping: mapping)
        case (nil, let schemaNode?):
            for key in ["protos", "import_paths"] {
                if let extra = mapping[key] {
                    log.error(extra, "\(key) applies to protobuf events (message:), not to schema:")
                }
            }
            payload = jsonSchema(schemaNode).map { .json($0.1) }
        case (_?, _?):
            log.error(node, "give either message: (a protobuf body) or schema: (a JSON body), not both")
            payload = nil
        case (nil, nil):
            log.error(node, "missing key \"message\" (a protobuf body) or \"schema\" (a JSON body)")
            payload = nil
        }
        guard let amqp, let payload else { return nil }
        return ContractEvent(name: name, location: node.location, amqp: amqp, payload: payload)
    }

    private func amqpBinding(_ node: YAMLNode, event: String) -> AMQPBinding? {
        guard let amqp = read.mapping(node, allowed: ["exchange", "type", "routing_key"], required: ["exchange"]),
            let exchange = amqp["exchange"].flatMap(read.string)
        else { return nil }
        var type = AMQPBinding.ExchangeType.topic
        if let typeNode = amqp["type"] {
            guard let text = read.choice(typeNode, AMQPBinding.ExchangeType.allCases.map(\.rawValue)),
                let chosen = AMQPBinding.ExchangeType(rawValue: text)
            else { return nil }
            type = chosen
        }
        var routingKey = event
        if let keyNode = amqp["routing_key"] {
            guard let text = read.string(keyNode) else { return nil }
            routingKey = text
        }
        return AMQPBinding(exchange: exchange, exchangeType: type, routingKey: routingKey, location: node.location)
    }

    private func protobufPayload(_ event: String, messageNode: YAMLNode, mapping: YAMLMapping) -> EventPayload? {
        guard let name = read.string(messageNode) else { return nil }
        if let protos = mapping["protos"] {
            guard let (_, _, schema) = compileProtos(protos, importPaths: mapping["import_paths"]) else { return nil }
            return message(name, in: schema, at: messageNode, what: "the event's .proto files").map { .protobuf($0) }
        }
        if let importPaths = mapping["import_paths"] {
            log.error(importPaths, "import_paths applies with protos:")
        }
        let publishers = declared.filter { $0.publishes.contains { $0.name == event } }
        if publishers.contains(where: { $0.broken.contains(.grpc) }) { return nil }
        let schemas = publishers.compactMap(\.grpc?.schema)
        if let found = schemas.lazy.compactMap({ $0.message(named: name) }).first { return .protobuf(found) }
        guard let first = schemas.first else {
            log.error(messageNode, "no .proto declares \(name): give the event protos:, or publish it from a gRPC "
                      + "service whose protos declare it")
            return nil
        }
        _ = message(name, in: first, at: messageNode, what: "the publishers' .proto files")
        return nil
    }
}
