import AccordDocuments
import AccordJSON
import AccordOpenAPI
import AccordProto
import AccordRPCStatus

extension LoadSession {
    static let referenceKeys = ["store", "id", "rpc", "routes", "consume", "shutdown"]
    static let handlingKeys = ["action", "key", "record", "set", "publish", "missing", "invalid", "delay"]

    func referenceBehaviour(_ node: YAMLNode, service: Declared, consumes: [ConsumerEdge]) -> ReferenceBehaviour? {
        guard let reference = read.mapping(node, allowed: Self.referenceKeys) else { return nil }
        let store = reference["store"].flatMap(read.string) ?? service.name
        let idField = reference["id"].flatMap(read.string) ?? "id"
        var rpcs: [RPCBehaviour] = []
        if let rpcNode = reference["rpc"] {
            if let grpc = service.grpc {
                for (methodName, entry) in mappingMembers(rpcNode) {
                    guard let method = method(methodName, of: grpc.service, at: entry) else { continue }
                    if let behaviour = rpcBehaviour(entry, method: method, service: service) { rpcs.append(behaviour) }
                }
            } else if !service.broken.contains(.grpc) {
                log.error(rpcNode, "this service has no grpc: interface")
            }
        }
        var routes: [RouteBehaviour] = []
        if let routesNode = reference["routes"] {
            if let rest = service.rest {
                for (route, entry) in mappingMembers(routesNode) {
                    guard let operation = operation(route, in: rest, at: entry) else { continue }
                    let behaviour = routeBehaviour(entry, operation: operation, service: service, consumes: consumes)
                    if let behaviour { routes.append(behaviour) }
                }
            } else if !service.broken.contains(.http) {
                log.error(routesNode, "this service has no rest: interface")
            }
        }
        var consumers: [ConsumerBehaviour] = []
        for (eventName, entry) in mappingMembers(reference["consume"]) {
            guard consumes.contains(where: { if case .event(eventName) = $0.target { true } else { false } }) else {
                if !brokenEvents.contains(eventName) {
                    log.error(entry, "this service does not consume event \(eventName) (add it under consumes:)")
                }
                continue
            }
            guard let behaviour = read.mapping(entry, allowed: ["delay", "failure_rate"]) else { continue }
            let delay = behaviour["delay"].flatMap(read.duration) ?? .zero
            let failureRate = behaviour["failure_rate"].flatMap { read.number($0, in: 0...1) } ?? 0
            consumers.append(ConsumerBehaviour(event: eventName, delay: delay, failureRate: failureRate,
                                               location: entry.location))
        }
        var shutdown = ShutdownStyle.graceful
        if let shutdownNode = reference["shutdown"],
            let text = read.choice(shutdownNode, ShutdownStyle.allCases.map(\.rawValue)),
            let style = ShutdownStyle(rawValue: text)
        {
            shutdown = style
        }
        return ReferenceBehaviour(store: store, idField: idField, rpcs: rpcs, routes: routes, consumers: consumers,
                                  shutdown: shutdown, location: node.location)
    }

    private func rpcBehaviour(_ node: YAMLNode, method: MethodDescriptor, service: Declared) -> RPCBehaviour? {
        guard let entry = read.mapping(node, allowed: Self.handlingKeys, required: ["action"]),
            let handling = storeHandling(entry, keyField: { key, keyNode in
                self.field(key, in: method.inputType, at: keyNode) != nil
            }, recordType: { record, recordNode in
                self.recordType(record, in: method.outputType, at: recordNode)
            }, service: service)
        else { return nil }
        let missing = entry["missing"].map(rpcStatus) ?? .notFound
        let invalid = entry["invalid"].map(rpcStatus) ?? .invalidArgument
        let delay = entry["delay"].map(read.duration) ?? .zero
        guard let missing, let invalid, let delay else { return nil }
        return RPCBehaviour(method: method, handling: handling, missing: missing, invalid: invalid, delay: delay,
                            location: node.location)
    }

    private func routeBehaviour(_ node: YAMLNode, operation: OpenAPIOperation, service: Declared,
                                consumes: [ConsumerEdge]) -> RouteBehaviour? {
        guard let entry = read.mapping(node, allowed: Self.handlingKeys + ["forward", "status"]) else { return nil }
        let handling: RouteBehaviour.Handling
        switch (entry["action"], entry["forward"]) {
        case (_?, nil):
            guard let store = storeHandling(entry, keyField: { key, keyNode in
                self.operationHasInput(key, operation, at: keyNode)
            }, recordType: { _, _ in nil }, service: service) else { return nil }
            handling = .store(store)
        case (nil, let forwardNode?):
            for key in ["key", "record", "set", "publish"] {
                if let extra = entry[key] { log.error(extra, "\(key) applies to action:, not to forward:") }
            }
            guard let text = read.string(forwardNode) else { return nil }
            guard let edge = consumes.first(where: { $0.interaction == text }),
                case .rpc(let target, let method) = edge.target
            else {
                // The target's .proto files failed to load: that is already reported.
                let targetService = text.split(separator: ".").first.map(String.init) ?? text
                if declaredService(targetService)?.broken.contains(.grpc) == true { return nil }
                let rpcs = consumes.compactMap { edge -> String? in
                    if case .rpc = edge.target { edge.interaction } else { nil }
                }
                let hint = NearMiss.closest(to: text, among: rpcs).map { " (did you mean \"\($0)\"?)" } ?? ""
                log.error(forwardNode,
                          "forwards to \(text), which this service's consumes: does not list as rpc:\(hint)")
                return nil
            }
            guard !method.clientStreaming else {
                log.error(forwardNode, "forwards to \(text), a client-streaming method; a route forwards to unary "
                          + "and server-streaming methods only")
                return nil
            }
            handling = .forward(service: target, method: method)
        case (_?, _?):
            log.error(node, "give either action: or forward:, not both")
            return nil
        case (nil, nil):
            log.error(node, "missing key \"action\" or \"forward\"")
            return nil
        }
        let declared = operation.responses.keys.compactMap { key -> Int? in
            if case .code(let code) = key, (200...299).contains(code) { code } else { nil }
        }
        let status = entry["status"].flatMap { read.integer($0, in: 100...599) } ?? declared.min() ?? 200
        let missing = entry["missing"].flatMap { read.integer($0, in: 100...599) } ?? 404
        let invalid = entry["invalid"].flatMap { read.integer($0, in: 100...599) } ?? 400
        guard let delay = entry["delay"].map(read.duration) ?? .zero else { return nil }
        return RouteBehaviour(operation: operation, handling: handling, status: status, missing: missing,
                              invalid: invalid, delay: delay, location: node.location)
    }

    /// `action`, `key`, `record`, `set` and `publish`; `keyField` checks a key names an input,
    /// `recordType` gives the record's message (nil when it cannot be known, as for REST).
    private func storeHandling(
        _ entry: YAMLMapping, keyField: (String, YAMLNode) -> Bool,
        recordType: (String?, YAMLNode) -> MessageDescriptor?, service: Declared
    ) -> StoreHandling? {
        guard let actionNode = entry["action"],
            let actionText = read.choice(actionNode, StoreAction.allCases.map(\.rawValue)),
            let action = StoreAction(rawValue: actionText)
        else { return nil }
        var key: String?
        if let keyNode = entry["key"] {
            guard let text = read.string(keyNode), keyField(text, keyNode) else { return nil }
            key = text
        } else if [.get, .update, .delete].contains(action) {
            log.error(actionNode, "action: \(action.rawValue) needs key: (the request field holding the record's key)")
            return nil
        }
        let record = entry["record"].flatMap(read.string)
        let recordMessage = recordType(record, entry["record"] ?? actionNode)
        var set: [String: JSONValue] = [:]
        if let setNode = entry["set"] {
            if action != .update && action != .create {
                log.error(setNode, "set applies to action: create and update")
            }
            guard case .object(let members) = setNode.value else {
                log.error(setNode, "expected a mapping of record fields to values, found \(setNode.kindName)")
                return nil
            }
            if let recordMessage {
                for (name, member) in setNode.members where field(name, in: recordMessage, at: member) == nil {
                    return nil
                }
            }
            set = members
        }
        var publish: [PublishSpec] = []
        if let publishNode = entry["publish"] {
            let items: [YAMLNode]
            if case .array = publishNode.value { items = publishNode.items } else { items = [publishNode] }
            for item in items {
                guard let spec = publishSpec(item, service: service) else { return nil }
                publish.append(spec)
            }
        }
        return StoreHandling(action: action, key: key, record: record, set: set, publish: publish)
    }

    /// The message a handler stores: the response itself, or its `record` field's message.
    private func recordType(_ record: String?, in output: MessageDescriptor, at node: YAMLNode) -> MessageDescriptor? {
        guard let record else { return output }
        guard let field = field(record, in: output, at: node) else { return nil }
        guard let type = field.messageType, !field.isMap else {
            log.error(node, "\(output.fullName).\(record) is \(field.type.rawValue), not a message holding a record")
            return nil
        }
        return type
    }

    private func operationHasInput(_ name: String, _ operation: OpenAPIOperation, at node: YAMLNode) -> Bool {
        if operation.parameters.contains(where: { $0.name == name }) { return true }
        let names = operation.parameters.map(\.name)
        let hint = NearMiss.closest(to: name, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
        log.error(node, "\(operation.method) \(operation.path) has no parameter \"\(name)\"\(hint)")
        return false
    }

    /// `order.created`, or `{ event: order.created, fields: { order_id: id } }`.
    private func publishSpec(_ node: YAMLNode, service: Declared) -> PublishSpec? {
        var fields: [String: String] = [:]
        let eventNode: YAMLNode
        if case .string = node.value {
            eventNode = node
        } else {
            guard let spec = read.mapping(node, allowed: ["event", "fields"], required: ["event"]),
                let named = spec["event"]
            else { return nil }
            eventNode = named
            for (eventField, source) in mappingMembers(spec["fields"]) {
                guard let path = read.string(source) else { return nil }
                fields[eventField] = path
            }
        }
        guard let name = read.string(eventNode), let event = eventReference(name, at: eventNode) else { return nil }
        guard service.publishes.contains(where: { $0.name == name }) else {
            log.error(eventNode, "publishes \(name), which this service's publishes: does not list")
            return nil
        }
        if case .object = node.value, let fieldsNode = node.child("fields") {
            for (eventField, source) in fieldsNode.members where !eventHasField(event, eventField, at: source) {
                return nil
            }
        }
        return PublishSpec(event: name, fields: fields, location: eventNode.location)
    }

    private func eventHasField(_ event: ContractEvent, _ name: String, at node: YAMLNode) -> Bool {
        switch event.payload {
        case .protobuf(let message):
            return field(name, in: message, at: node) != nil
        case .json(let schema):
            let shape = SchemaShape.jsonObject(schema.root, in: schema.schemas, name: event.name)
            if shape.field(named: name) != nil || shape.fields.isEmpty { return true }
            let hint = NearMiss.closest(to: name, among: shape.fields.map(\.name))
                .map { " (did you mean \"\($0)\"?)" } ?? ""
            log.error(node, "event \(event.name)'s schema has no field \"\(name)\"\(hint)")
            return false
        }
    }

    /// `NOT_FOUND`, as gRPC spells status names.
    func rpcStatus(_ node: YAMLNode) -> RPCStatus? {
        guard let text = read.choice(node, RPCStatus.allCases.map(\.name)) else { return nil }
        return RPCStatus(name: text)
    }
}
