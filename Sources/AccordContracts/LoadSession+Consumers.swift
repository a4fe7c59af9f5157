import AccordDocuments
import AccordOpenAPI
import AccordProto

extension LoadSession {
    static let edgeKeys = ["rpc", "rest", "event", "description", "reads", "sends", "proto", "import_paths", "schema",
                           "queue"]

    func consumerEdges(_ node: YAMLNode, consumer: Declared) -> [ConsumerEdge] {
        guard case .array = node.value else {
            log.error(node, "expected a list of consumed interactions, found \(node.kindName)")
            return []
        }
        return node.items.compactMap { consumerEdge($0, consumer: consumer.name) }
    }

    private func consumerEdge(_ node: YAMLNode, consumer: String) -> ConsumerEdge? {
        guard let edge = read.mapping(node, allowed: Self.edgeKeys) else { return nil }
        let kinds = ["rpc", "rest", "event"].compactMap { key in edge[key].map { (key, $0) } }
        guard kinds.count == 1, let (kind, targetNode) = kinds.first else {
            let given = kinds.map(\.0).joined(separator: " and ")
            log.error(node, kinds.isEmpty ? "missing key \"rpc\", \"rest\" or \"event\" (what is consumed)"
                      : "give one of rpc:, rest: or event: per entry, not \(given)")
            return nil
        }
        guard let text = read.string(targetNode) else { return nil }
        let target: EdgeTarget?
        switch kind {
        case "rpc": target = rpcTarget(text, at: targetNode)
        case "rest": target = restTarget(text, at: targetNode)
        default: target = eventReference(text, at: targetNode).map { .event(name: $0.name) }
        }
        let reads = edge["reads"].flatMap { inlineShape($0, name: "reads") }
        let sends = edge["sends"].flatMap { inlineShape($0, name: "sends") }
        var queue: String?
        if let queueNode = edge["queue"] {
            if kind == "event" {
                queue = read.string(queueNode)
            } else {
                log.error(queueNode, "queue applies to events")
            }
        }
        if kind == "event", let sendsNode = edge["sends"] {
            log.error(sendsNode, "sends applies to RPC and REST requests; an event consumer only reads")
        }
        guard let target else { return nil }
        let copy = consumerCopy(edge, target: target)
        if queue == nil, case .event(let name) = target { queue = "\(systemName).\(consumer).\(name)" }
        return ConsumerEdge(consumer: consumer, target: target, reads: reads, sends: sends, copy: copy, queue: queue,
                            location: targetNode.location)
    }

    /// `orders.CreateOrder`
    private func rpcTarget(_ text: String, at node: YAMLNode) -> EdgeTarget? {
        guard let dot = text.firstIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex
        else {
            log.error(node, "\"\(text)\" is not <service>.<Method>")
            return nil
        }
        let serviceName = String(text[..<dot]), methodName = String(text[text.index(after: dot)...])
        guard let producer = service(serviceName, at: node) else { return nil }
        guard let grpc = producer.grpc else {
            if !producer.broken.contains(.grpc) { log.error(node, "service \(serviceName) has no grpc: interface") }
            return nil
        }
        return method(methodName, of: grpc.service, at: node).map { .rpc(service: serviceName, method: $0) }
    }

    /// `gateway POST /orders/{order_id}`
    private func restTarget(_ text: String, at node: YAMLNode) -> EdgeTarget? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 3 else {
            log.error(node, "\"\(text)\" is not <service> <METHOD> <path>")
            return nil
        }
        guard let producer = service(parts[0], at: node) else { return nil }
        guard let rest = producer.rest else {
            if !producer.broken.contains(.http) { log.error(node, "service \(parts[0]) has no rest: interface") }
            return nil
        }
        return operation("\(parts[1]) \(parts[2])", in: rest, at: node).map { .rest(service: parts[0], operation: $0) }
    }

    /// The operation `route` (`POST /orders`) names in `rest`, or a diagnostic with the closest route.
    func operation(_ route: String, in rest: RESTInterface, at node: YAMLNode) -> OpenAPIOperation? {
        let parts = route.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let routes = rest.contract.operations.map { "\($0.method) \($0.path)" }
        if parts.count == 2, let found = rest.contract.operations.first(where: {
            $0.method == parts[0].uppercased() && $0.path == parts[1]
        }) {
            return found
        }
        let hint = NearMiss.closest(to: route, among: routes).map { " (did you mean \"\($0)\"?)" }
            ?? " (it declares: \(routes.joined(separator: ", ")))"
        log.error(node, "\(rest.openapiFile) declares no operation \"\(route)\"\(hint)")
        return nil
    }

    /// The consumer's own copy of the producer's schema: `proto:` for protobuf interactions,
    /// `schema:` for JSON ones.
    private func consumerCopy(_ edge: YAMLMapping, target: EdgeTarget) -> ConsumerCopy? {
        let protoNode = edge["proto"], schemaNode = edge["schema"]
        if let importPaths = edge["import_paths"], protoNode == nil {
            log.error(importPaths, "import_paths applies with proto:")
        }
        let isProtobuf: Bool
        switch target {
        case .rpc: isProtobuf = true
        case .rest: isProtobuf = false
        case .event(let name):
            guard let event = event(named: name) else { return nil }
            if case .protobuf = event.payload { isProtobuf = true } else { isProtobuf = false }
        }
        if isProtobuf, let schemaNode {
            log.error(schemaNode, "this interaction carries protobuf: give the consumer's copy as proto:")
        }
        if !isProtobuf, let protoNode {
            log.error(protoNode, "this interaction carries JSON: give the consumer's copy as schema:")
        }
        if isProtobuf, let protoNode {
            guard let (files, _, schema) = compileProtos(protoNode, importPaths: edge["import_paths"]) else {
                return nil
            }
            let (request, response): (MessageDescriptor?, MessageDescriptor)
            switch target {
            case .rpc(_, let method):
                guard let copied = message(method.outputType.fullName, in: schema, at: protoNode,
                                           what: "the consumer's copy") else { return nil }
                (request, response) = (schema.message(named: method.inputType.fullName), copied)
            case .event(let name):
                guard case .protobuf(let produced)? = event(named: name)?.payload,
                    let copied = message(produced.fullName, in: schema, at: protoNode, what: "the consumer's copy")
                else { return nil }
                (request, response) = (nil, copied)
            case .rest:
                return nil
            }
            return .protobuf(files: files, schema: schema, request: request, response: response,
                             location: protoNode.location)
        }
        if !isProtobuf, let schemaNode, let (file, schema) = jsonSchema(schemaNode) {
            return .jsonSchema(file: file, schema: schema, location: schemaNode.location)
        }
        return nil
    }

    // MARK: Inline reads and sends

    /// `{ order.id: string, order.items: repeated object, order.items.sku: string }` as a shape:
    /// dotted paths become nested objects.
    func inlineShape(_ node: YAMLNode, name: String) -> SchemaShape? {
        guard case .object = node.value else {
            log.error(node, "expected a mapping of dotted field paths to types, found \(node.kindName)")
            return nil
        }
        let root = InlineTree(location: node.location)
        var failed = false
        for (path, entry) in node.members {
            guard let text = read.string(entry) else {
                failed = true
                continue
            }
            let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !segments.contains(where: \.isEmpty) else {
                log.error(entry, "\"\(path)\" is not a dotted field path")
                failed = true
                continue
            }
            switch InlineType.parse(text, name: segments.last ?? path, location: entry.location) {
            case .success(let type):
                if let problem = root.insert(segments, type: type, location: entry.location) {
                    log.error(entry, problem)
                    failed = true
                }
            case .failure(let error):
                log.error(entry, error.message)
                failed = true
            }
        }
        return failed ? nil : root.shape(id: name, name: name)
    }
}

/// The dotted paths of an inline declaration as a tree, before it becomes a shape.
private final class InlineTree {
    let location: SourceLocation
    var declared: InlineType?
    var children: [(name: String, tree: InlineTree)] = []

    init(location: SourceLocation) {
        self.location = location
    }

    /// Adds one path; returns why it conflicts with an earlier one, if it does.
    func insert(_ segments: [String], type: InlineType, location: SourceLocation) -> String? {
        var node = self
        for (depth, segment) in segments.enumerated() {
            if let declared = node.declared, !declared.isObject {
                return "\(segments[..<depth].joined(separator: ".")) is declared as \(declared.type), "
                    + "so it has no member \(segment)"
            }
            if let child = node.children.first(where: { $0.name == segment })?.tree {
                node = child
            } else {
                let child = InlineTree(location: location)
                node.children.append((segment, child))
                node = child
            }
        }
        if node.declared != nil { return "\(segments.joined(separator: ".")) is declared twice" }
        if !node.children.isEmpty, !type.isObject {
            return "\(segments.joined(separator: ".")) has members declared, so it must be object, not \(type.type)"
        }
        node.declared = type
        return nil
    }

    func shape(id: String, name: String) -> SchemaShape {
        let fields = children.map { child in
            let tree = child.tree
            let path = id + "." + child.name
            if tree.children.isEmpty, let declared = tree.declared {
                return ShapeField(name: child.name, type: declared.type, isRepeated: declared.isRepeated,
                                  location: tree.location)
            }
            return ShapeField(name: child.name, type: .object(tree.shape(id: path, name: child.name)),
                              isRepeated: tree.declared?.isRepeated, location: tree.location)
        }
        return SchemaShape(id: id, name: name, origin: .inline, location: location, fields: fields)
    }
}
