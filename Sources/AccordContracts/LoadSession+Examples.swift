import AccordDocuments
import AccordJSON
import AccordOpenAPI
import AccordProto

extension LoadSession {
    static let exampleKeys = ["name", "description", "rpc", "request", "route", "params", "body", "expect"]

    func examples(_ node: YAMLNode, service: Declared) -> [ContractExample] {
        guard case .array = node.value else {
            log.error(node, "expected a list of examples, found \(node.kindName)")
            return []
        }
        var examples: [ContractExample] = []
        var names: [String] = []
        for (index, item) in node.items.enumerated() {
            let name = item.child("name").flatMap(read.string)
            if let name, names.contains(name), let nameNode = item.child("name") {
                log.error(nameNode, "another example of \(service.name) is already named \"\(name)\"")
            }
            if let example = example(item, service: service, earlier: names) {
                examples.append(example)
            }
            names.append(name ?? "\(service.name) example \(index + 1)")
        }
        return examples
    }

    private func example(_ node: YAMLNode, service: Declared, earlier: [String]) -> ContractExample? {
        guard let entry = read.mapping(node, allowed: Self.exampleKeys, required: ["expect"]) else { return nil }
        let name = entry["name"].flatMap(read.string) ?? "\(service.name) example \(earlier.count + 1)"
        checkReferences(node, earlier: earlier)
        let expectation = entry["expect"].flatMap {
            read.mapping($0, allowed: ["status", "body"], required: ["status"])
        }
        let call: ContractExample.Call
        let status: ContractExample.Status
        switch (entry["rpc"], entry["route"]) {
        case (let rpcNode?, nil):
            for key in ["params", "body"] {
                if let extra = entry[key] {
                    log.error(extra, "\(key) applies to route: examples (an RPC has request:)")
                }
            }
            guard let grpc = service.grpc else {
                if !service.broken.contains(.grpc) { log.error(rpcNode, "this service has no grpc: interface") }
                return nil
            }
            let expected = expectation?["status"].flatMap(rpcStatus)
            guard let methodName = read.string(rpcNode), let method = method(methodName, of: grpc.service, at: rpcNode)
            else { return nil }
            guard checkRequest(entry["request"], method: method), let expected else { return nil }
            call = .rpc(method, request: entry["request"]?.value ?? .object([:]))
            status = .rpc(expected)
        case (nil, let routeNode?):
            if let extra = entry["request"] {
                log.error(extra, "request applies to rpc: examples (a route has params: and body:)")
            }
            guard let rest = service.rest else {
                if !service.broken.contains(.http) { log.error(routeNode, "this service has no rest: interface") }
                return nil
            }
            let statusNode = expectation?["status"]
            let code = statusNode.flatMap { read.integer($0, in: 100...599) }
            guard let route = read.string(routeNode), let operation = operation(route, in: rest, at: routeNode),
                let params = routeParams(entry["params"], operation: operation, example: node),
                let statusNode, let code
            else { return nil }
            guard operation.response(for: code) != nil else {
                let declared = operation.responses.keys.map(\.description).sorted().joined(separator: ", ")
                log.error(statusNode, "\(operation.method) \(operation.path) declares no response \(code) "
                          + "(it declares: \(declared))")
                return nil
            }
            call = .route(operation, params: params, body: entry["body"]?.value)
            status = .http(code)
        case (_?, _?):
            log.error(node, "give either rpc: or route:, not both")
            return nil
        case (nil, nil):
            log.error(node, "missing key \"rpc\" or \"route\" (what the example calls)")
            return nil
        }
        return ContractExample(name: name, service: service.name, call: call, expectedStatus: status,
                               expectedBody: expectation?["body"]?.value, location: node.location)
    }

    /// The request must be a message of the method's input type once placeholders are filled in.
    private func checkRequest(_ node: YAMLNode?, method: MethodDescriptor) -> Bool {
        guard let node else { return true }
        guard case .object = node.value else {
            log.error(node, "expected a mapping (the request as proto3 JSON), found \(node.kindName)")
            return false
        }
        do {
            _ = try DynamicMessage(json: Self.sampled(node.value), type: method.inputType)
            return true
        } catch {
            log.error(located(error.path, under: node), "not a \(method.inputType.fullName): \(error.problem)")
            return false
        }
    }

    /// The node a proto3 JSON error path (`items[0].sku`) points at, or the closest one above it.
    private func located(_ path: String, under node: YAMLNode) -> YAMLNode {
        var current = node
        for token in path.split(whereSeparator: { $0 == "." || $0 == "[" }) {
            let key = token.hasSuffix("]") ? String(token.dropLast()) : String(token)
            if let index = Int(key), current.items.indices.contains(index) {
                current = current.items[index]
            } else if let child = current.child(key) {
                current = child
            } else {
                break
            }
        }
        return current
    }

    /// Placeholders replaced by a sample value: strings made only of a placeholder become "1",
    /// which proto3 JSON accepts for strings and every integer type.
    static func sampled(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text) where !Placeholders.names(in: text).isEmpty:
            return .string(text.hasPrefix("${") && text.hasSuffix("}") && Placeholders.names(in: text).count == 1
                ? "1" : text.replacing(/\$\{[^}]*\}/, with: "1"))
        case .array(let items):
            return .array(items.map(sampled))
        case .object(let members):
            return .object(members.mapValues(sampled))
        default:
            return value
        }
    }

    private func routeParams(_ node: YAMLNode?, operation: OpenAPIOperation, example: YAMLNode) -> [String: String]? {
        var params: [String: String] = [:]
        var valid = true
        let names = operation.parameters.filter { $0.place == .path || $0.place == .query }.map(\.name)
        for (name, value) in mappingMembers(node) {
            guard names.contains(name) else {
                let hint = NearMiss.closest(to: name, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
                log.error(value, "\(operation.method) \(operation.path) has no path or query parameter "
                          + "\"\(name)\"\(hint)")
                valid = false
                continue
            }
            switch value.value {
            case .string(let text): params[name] = text
            case .number(let number): params[name] = number.literal
            case .bool(let flag): params[name] = flag ? "true" : "false"
            default:
                log.error(value, "expected a string, found \(value.kindName)")
                valid = false
            }
        }
        if valid, let absent = operation.parameters.first(where: { $0.place == .path && params[$0.name] == nil }) {
            log.error(node ?? example, "missing path parameter \"\(absent.name)\"")
            valid = false
        }
        return valid ? params : nil
    }

    /// `${name.path}` must name an earlier example of the same service; generators are left to the runner.
    private func checkReferences(_ node: YAMLNode, earlier: [String]) {
        func visit(_ node: YAMLNode) {
            switch node.value {
            case .string(let text):
                for name in Placeholders.names(in: text) where !Placeholders.isGenerator(name) {
                    let example = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
                    guard !earlier.contains(example) else { continue }
                    let hint = NearMiss.closest(to: example, among: earlier).map { " (did you mean \"\($0)\"?)" } ?? ""
                    log.error(node, "${\(name)}: no earlier example of this service is named \"\(example)\"\(hint)")
                }
            case .array:
                node.items.forEach(visit)
            case .object:
                node.members.forEach { visit($0.node) }
            default:
                break
            }
        }
        for key in ["request", "params", "body"] {
            if let child = node.child(key) { visit(child) }
        }
    }
}
