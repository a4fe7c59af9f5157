import AccordContracts
import AccordDocuments
import AccordJSON
import AccordOpenAPI
import AccordProto
import Foundation

/// The profile's `contracts:` as far as loading got: absent, named but not loadable (its problems
/// are reported already, so entries that need it stay quiet), or loaded.
enum ProfileContracts {
    case absent
    case broken
    case loaded(ContractSystem)

    var system: ContractSystem? {
        if case .loaded(let system) = self { system } else { nil }
    }
}

extension LoadProfile {
    static let contractEntryKeys = [
        "name", "weight", "call", "publish", "request", "body", "params", "headers", "metadata", "message", "example",
        "consume",
    ]

    /// Loads the system `contracts:` names (relative to the profile); its own problems are
    /// reported at their file and line in the contract.
    static func contracts(_ r: inout DocumentReader, file: String) -> ProfileContracts {
        guard r.document.value(at: "/contracts") != nil else { return .absent }
        guard let path = r.string("/contracts", required: true) else { return .broken }
        let profileFolder = (file as NSString).deletingLastPathComponent
        let display = displayPath(path, under: profileFolder)
        let folder = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: file).deletingLastPathComponent())
            .standardizedFileURL
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent(ContractLoader.fileName).path)
        else {
            r.report(
                "/contracts", "\(display) holds no \(ContractLoader.fileName) (a system folder, relative to this file)"
            )
            return .broken
        }
        do {
            return .loaded(try ContractLoader().load(folder: folder, displayFolder: display))
        } catch {
            let count = error.diagnostics.count == 1 ? "1 error" : "\(error.diagnostics.count) errors"
            r.report("/contracts", "\(display) does not load (\(count), below)")
            r.add(
                error.diagnostics.map { diagnostic in
                    let location = diagnostic.location
                    return Diagnostic(
                        location: SourceLocation(
                            file: displayPath(location.file, under: display), line: location.line,
                            column: location.column),
                        key: diagnostic.key, message: diagnostic.message)
                })
            return .broken
        }
    }

    /// `loadprofiles/../contracts/shop` -> `contracts/shop`: a path as messages show it, resolved
    /// lexically against `folder` (the folder as the user named it).
    static func displayPath(_ path: String, under folder: String) -> String {
        let absolute = path.hasPrefix("/") || folder.hasPrefix("/")
        let joined = path.hasPrefix("/") || folder.isEmpty ? path : folder + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") where part != "." {
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part != ".." || !absolute {
                parts.append(part)
            }
        }
        let text = parts.joined(separator: "/")
        return absolute ? "/" + text : (text.isEmpty ? "." : text)
    }

    /// ` (did you mean "orders"?)`, or the known names when none is close.
    static func hint(_ name: String, among names: [String]) -> String {
        if let close = NearMiss.closest(to: name, among: names) { return " (did you mean \"\(close)\"?)" }
        return names.isEmpty ? "" : " (known: \(names.joined(separator: ", ")))"
    }

    /// `contracts/shop has no service "ordrs" (did you mean "orders"?)`
    static func noService(_ name: String, in system: ContractSystem) -> String {
        "\(system.displayFolder) has no service \"\(name)\"\(hint(name, among: system.services.map(\.name)))"
    }

    /// A `call:` or `publish:` entry, resolved against the contract.
    static func contractEntry(_ r: inout DocumentReader, _ pointer: String, contracts: ProfileContracts) -> MixEntry? {
        guard let members = r.object(pointer, keys: contractEntryKeys) else { return nil }
        let weight = r.integer(pointer + "/weight", range: 1...1_000_000) ?? 1
        let location = r.document.location(pointer)
        let key = members["call"] != nil ? "call" : "publish"
        if members["call"] != nil && members["publish"] != nil {
            r.report(pointer, "give call: or publish:, not both")
            return nil
        }
        guard let text = r.string(pointer + "/" + key, required: true) else { return nil }
        guard let system = contracts.system else {
            if case .absent = contracts {
                r.report(
                    pointer + "/" + key, "\(key): names an interaction of a contract: add contracts: <system folder>")
            }
            return nil
        }
        let call =
            key == "publish"
            ? publishCall(&r, pointer, event: text, system: system, members: members)
            : text.contains(" ")
                ? restCall(&r, pointer, route: text, system: system, members: members)
                : rpcCall(&r, pointer, method: text, system: system, members: members)
        guard let call else { return nil }
        let name = r.string(pointer + "/name") ?? call.interaction
        return MixEntry(name: name, target: .contract(call), weight: weight, location: location)
    }

    /// Reports keys that belong to other kinds of entry.
    private static func reject(
        _ r: inout DocumentReader, _ pointer: String, _ members: [String: JSONValue], _ keys: [String], _ why: String
    ) {
        for key in keys where members[key] != nil { r.report(pointer + "/" + key, "\(key) applies to \(why)") }
    }

    /// Where a call's payload comes from.
    private enum PayloadSource {
        /// Written in the entry (or none: an empty payload).
        case inline
        case example(ContractExample)
        /// `example:` names no usable example (reported).
        case invalid
    }

    /// `example:` by name; else the inline payload keys; else the interaction's first example.
    private static func payloadSource(
        _ r: inout DocumentReader, _ pointer: String, service: ContractService, interaction: String,
        members: [String: JSONValue], inline: [String]
    ) -> PayloadSource {
        guard members["example"] != nil else {
            guard inline.allSatisfy({ members[$0] == nil }),
                let first = service.examples.first(where: { $0.interaction == interaction })
            else { return .inline }
            return .example(first)
        }
        for key in inline where members[key] != nil {
            r.report(pointer + "/" + key, "give \(key): or example:, not both")
        }
        guard let name = r.string(pointer + "/example", required: true) else { return .invalid }
        guard let example = service.examples.first(where: { $0.name == name }) else {
            let names = service.examples.filter { $0.interaction == interaction }.map(\.name)
            r.report(
                pointer + "/example", "\(service.name) has no example named \"\(name)\"\(hint(name, among: names))")
            return .invalid
        }
        guard example.interaction == interaction else {
            r.report(pointer + "/example", "example \"\(name)\" calls \(example.interaction), not \(interaction)")
            return .invalid
        }
        return .example(example)
    }

    /// A template from a contract example's value (its placeholders are the load generator's).
    private static func exampleTemplate(
        _ r: inout DocumentReader, _ pointer: String, _ value: JSONValue, example: ContractExample
    ) -> PayloadTemplate? {
        do {
            return try PayloadTemplate(value)
        } catch {
            r.report(pointer, "example \"\(example.name)\": \(error)")
            return nil
        }
    }

    /// `call: orders.CreateOrder`
    private static func rpcCall(
        _ r: inout DocumentReader, _ pointer: String, method text: String, system: ContractSystem,
        members: [String: JSONValue]
    ) -> ContractCall? {
        let key = pointer + "/call"
        reject(
            &r, pointer, members, ["body", "params", "headers", "message", "consume"],
            "other entries (REST or publish)")
        guard let dot = text.firstIndex(of: "."), dot != text.startIndex, text.index(after: dot) != text.endIndex
        else {
            r.report(key, "\"\(text)\" is not <service>.<Method> (gRPC) or <service> <METHOD> <path> (REST)")
            return nil
        }
        let serviceName = String(text[..<dot])
        let methodName = String(text[text.index(after: dot)...])
        guard let service = system.service(named: serviceName) else {
            r.report(key, noService(serviceName, in: system))
            return nil
        }
        guard let grpc = service.grpc else {
            r.report(key, "service \(serviceName) has no grpc: interface")
            return nil
        }
        guard let method = grpc.method(named: methodName) else {
            let names = grpc.service.methods.map(\.name)
            r.report(key, "\(grpc.service.fullName) has no method \"\(methodName)\"\(hint(methodName, among: names))")
            return nil
        }
        if method.clientStreaming {
            r.report(key, "\(method.name) streams requests: a mix calls unary and server-streaming methods only")
            return nil
        }
        let interaction = Interaction.rpc(service: serviceName, method: method.name)
        let source = payloadSource(
            &r, pointer, service: service, interaction: interaction, members: members, inline: ["request"])
        if case .invalid = source { return nil }
        let example: ContractExample? = if case .example(let chosen) = source { chosen } else { nil }
        var payloadPointer = pointer + "/request"
        var request = template(&r, payloadPointer)
        if let example, case .rpc(_, let value) = example.call {
            payloadPointer = members["example"] != nil ? pointer + "/example" : key
            request = exampleTemplate(&r, payloadPointer, value, example: example)
            if request == nil { return nil }
        } else if request == nil && members["request"] != nil {
            return nil
        }
        let payload = request ?? PayloadTemplate(literal: .object([:]))
        if let sample = payload.sample {
            do {
                _ = try DynamicMessage(json: sample, type: method.inputType)
            } catch {
                let origin = example.map { " (example \"\($0.name)\" at \(system.display($0.location) ?? ""))" } ?? ""
                r.report(payloadPointer, "not a valid \(method.inputType.fullName)\(origin): \(error)")
                return nil
            }
        }
        return ContractCall(
            kind: .rpc(
                service: serviceName, method: method, request: payload,
                metadata: stringMap(&r, pointer + "/metadata")),
            expectedStatus: example?.expectedStatus, example: example?.name, payloadPointer: payloadPointer,
            response: .protobuf(method.outputType))
    }

    /// `call: gateway POST /orders/{order_id}`
    private static func restCall(
        _ r: inout DocumentReader, _ pointer: String, route: String, system: ContractSystem,
        members: [String: JSONValue]
    ) -> ContractCall? {
        let key = pointer + "/call"
        reject(&r, pointer, members, ["request", "metadata", "message", "consume"], "other entries (gRPC or publish)")
        let parts = route.split(separator: " ").map(String.init)
        guard parts.count == 3 else {
            r.report(key, "\"\(route)\" is not <service> <METHOD> <path> (REST) or <service>.<Method> (gRPC)")
            return nil
        }
        guard let service = system.service(named: parts[0]) else {
            r.report(key, noService(parts[0], in: system))
            return nil
        }
        guard let rest = service.rest else {
            r.report(key, "service \(parts[0]) has no rest: interface")
            return nil
        }
        let operations = rest.contract.operations
        guard let operation = operations.first(where: { $0.method == parts[1].uppercased() && $0.path == parts[2] })
        else {
            let wanted = "\(parts[1]) \(parts[2])"
            let routes = operations.map { "\($0.method) \($0.path)" }
            r.report(key, "\(rest.openapiFile) declares no operation \"\(wanted)\"\(hint(wanted, among: routes))")
            return nil
        }
        let interaction = Interaction.rest(service: service.name, method: operation.method, path: operation.path)
        let source = payloadSource(
            &r, pointer, service: service, interaction: interaction, members: members, inline: ["params", "body"])
        if case .invalid = source { return nil }
        let example: ContractExample? = if case .example(let chosen) = source { chosen } else { nil }
        var payloadPointer = pointer + "/params"
        var params: [String: PayloadTemplate]?
        var body: PayloadTemplate?
        if let example, case .route(_, let exampleParams, let exampleBody) = example.call {
            payloadPointer = members["example"] != nil ? pointer + "/example" : key
            params = self.params(&r, payloadPointer, exampleParams.mapValues(JSONValue.string), operation: operation)
            body = exampleBody.flatMap { exampleTemplate(&r, payloadPointer, $0, example: example) }
            if exampleBody != nil && body == nil { return nil }
        } else {
            let given: [String: JSONValue]
            switch members["params"] {
            case .object(let values)?: given = values
            case nil: given = [:]
            case let other?:
                r.report(payloadPointer, "expected a mapping of parameter names, got \(other.typeName)")
                return nil
            }
            params = self.params(&r, payloadPointer, given, operation: operation)
            body = template(&r, pointer + "/body")
            if members["body"] != nil {
                if body == nil { return nil }
                payloadPointer = pointer + "/body"
            }
        }
        guard let params else { return nil }
        let headers = stringMap(&r, pointer + "/headers")
        guard bodyFits(&r, payloadPointer, body, headers: headers, operation: operation, in: rest.contract) else {
            return nil
        }
        return ContractCall(
            kind: .rest(
                service: service.name, operation: operation, params: params, body: body, headers: headers),
            expectedStatus: example?.expectedStatus, example: example?.name, payloadPointer: payloadPointer,
            response: operation.successShape(in: rest.contract))
    }

    /// A REST body against the operation's request body: required when the operation says so,
    /// absent when it declares none, and its sample valid against the schema of its media type.
    private static func bodyFits(
        _ r: inout DocumentReader, _ pointer: String, _ body: PayloadTemplate?, headers: [String: String],
        operation: OpenAPIOperation, in contract: OpenAPIContract
    ) -> Bool {
        let operationName = "\(operation.method) \(operation.path)"
        guard let declared = operation.requestBody else {
            if body != nil { r.report(pointer, "\(operationName) declares no request body") }
            return body == nil
        }
        guard let body else {
            if declared.required { r.report(pointer, "\(operationName) requires a request body: give body:") }
            return !declared.required
        }
        let mediaType = headers.first { $0.key.lowercased() == "content-type" }?.value ?? "application/json"
        guard let schema = declared.content.schema(for: mediaType), let sample = body.sample else { return true }
        let violations = contract.schemas.validate(sample, against: schema)
        for violation in violations {
            r.report(pointer, "not a valid \(operationName) request body (\(contract.file)): \(violation)")
        }
        return violations.isEmpty
    }

    /// Path and query parameters: each a string template; every path parameter must be given.
    private static func params(
        _ r: inout DocumentReader, _ pointer: String, _ given: [String: JSONValue], operation: OpenAPIOperation
    ) -> [String: PayloadTemplate]? {
        let names = operation.parameters.filter { $0.place == .path || $0.place == .query }.map(\.name)
        var params: [String: PayloadTemplate] = [:]
        var valid = true
        for (name, value) in given.sorted(by: { $0.key < $1.key }) {
            guard names.contains(name) else {
                let operationName = "\(operation.method) \(operation.path)"
                let known = hint(name, among: names)
                r.report(pointer, "\(operationName) has no path or query parameter \"\(name)\"\(known)")
                valid = false
                continue
            }
            let text: String
            switch value {
            case .string(let s): text = s
            case .number(let n): text = n.literal
            case .bool(let b): text = b ? "true" : "false"
            default:
                r.report(pointer, "parameter \(name): expected a string, got \(value.typeName)")
                valid = false
                continue
            }
            do {
                params[name] = try PayloadTemplate(.string(text))
            } catch {
                r.report(pointer, "parameter \(name): \(error)")
                valid = false
            }
        }
        for parameter in operation.parameters where parameter.place == .path && params[parameter.name] == nil && valid
        {
            r.report(pointer, "missing path parameter \"\(parameter.name)\" of \(operation.method) \(operation.path)")
            valid = false
        }
        return valid ? params : nil
    }

    /// `publish: order.created`
    private static func publishCall(
        _ r: inout DocumentReader, _ pointer: String, event name: String, system: ContractSystem,
        members: [String: JSONValue]
    ) -> ContractCall? {
        reject(&r, pointer, members, ["request", "body", "params", "headers", "metadata"], "call: entries")
        if members["example"] != nil {
            r.report(pointer + "/example", "a contract has no examples of events: give the body as message:")
        }
        guard let event = system.event(named: name) else {
            r.report(
                pointer + "/publish",
                "\(system.displayFolder) has no event \"\(name)\"\(hint(name, among: system.events.map(\.name)))")
            return nil
        }
        var consume = true
        switch members["consume"] {
        case .bool(let value)?: consume = value
        case nil: break
        case let other?: r.report(pointer + "/consume", "expected true or false, got \(other.jsonText)")
        }
        let payloadPointer = pointer + "/message"
        let message = template(&r, payloadPointer)
        if message == nil && members["message"] != nil { return nil }
        let payload = message ?? PayloadTemplate(literal: .object([:]))
        if let sample = payload.sample {
            switch event.payload {
            case .protobuf(let type):
                do {
                    _ = try DynamicMessage(json: sample, type: type)
                } catch {
                    r.report(payloadPointer, "not a valid \(type.fullName): \(error)")
                    return nil
                }
            case .json(let schema):
                let violations = schema.validate(sample)
                for violation in violations {
                    r.report(payloadPointer, "not valid against \(schema.file): \(violation)")
                }
                if !violations.isEmpty { return nil }
            }
        }
        return ContractCall(
            kind: .publish(event: event, message: payload, consume: consume), expectedStatus: nil, example: nil,
            payloadPointer: payloadPointer)
    }
}
